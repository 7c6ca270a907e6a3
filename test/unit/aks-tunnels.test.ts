import { describe, expect, it } from 'vitest';
import { parseTunnelAlarmName, tunnelAlarmName } from '../../lambdas/core/aks/names';
import { mergeTunnelStates, severityOf, tunnelStateData } from '../../lambdas/core/aks/tunnels';

const config = { name: 'acme' };
const connection = {
  id: 'vpn-0abc1234',
  region: 'eu-west-1',
  outsideIps: ['203.0.113.10', '203.0.113.11'],
};
const nameOf = (ip: string) => tunnelAlarmName(config, connection.id, ip);
const observe = (a: string, b: string) =>
  new Map([
    [nameOf('203.0.113.10'), a],
    [nameOf('203.0.113.11'), b],
  ]) as Map<string, 'OK' | 'ALARM' | 'INSUFFICIENT_DATA'>;
const at = (minute: number) => new Date(Date.parse('2026-03-01T12:00:00.000Z') + minute * 60_000);

describe('tunnel alarm names', () => {
  it('round-trip, and composites or other alarms are not tunnel alarms', () => {
    expect(nameOf('203.0.113.10')).toBe('acme-drpilot-tunnel.vpn-0abc1234.203.0.113.10');
    expect(parseTunnelAlarmName(config, nameOf('203.0.113.10'))).toEqual({
      vpnConnectionId: 'vpn-0abc1234',
      outsideIp: '203.0.113.10',
    });
    for (const other of [
      // the composite alarm names of earlier versions
      'acme-drpilot-tunnel.vpn-0abc1234.any-down',
      'acme-drpilot-tunnel.vpn-0abc1234.both-down',
      'acme-drpilot-tunnel.vpn-0abc1234.999.0.0.1',
      'acme-primary-health',
      'other-drpilot-tunnel.vpn-0abc1234.203.0.113.10',
    ]) {
      expect(parseTunnelAlarmName(config, other), other).toBeNull();
    }
  });
});

describe('merging tunnel states (the matrix)', () => {
  it.each([
    ['OK', 'OK', 'ok', [true, true]],
    ['ALARM', 'OK', 'warning', [false, true]],
    ['OK', 'ALARM', 'warning', [true, false]],
    ['ALARM', 'ALARM', 'page', [false, false]],
    ['INSUFFICIENT_DATA', 'OK', 'warning', [false, true]],
  ] as const)('%s + %s → %s', (a, b, severity, ups) => {
    const merged = mergeTunnelStates(null, connection, observe(a, b), nameOf, at(0));
    expect(merged.record.severity).toBe(severity);
    expect(merged.record.tunnels.map((t) => t.up)).toEqual(ups);
    expect(merged.changed).toBe(true);
  });

  it('keeps since-when for a tunnel that did not change, and reports only real changes (flapping)', () => {
    const first = mergeTunnelStates(null, connection, observe('OK', 'OK'), nameOf, at(0)).record;
    const down = mergeTunnelStates(first, connection, observe('ALARM', 'OK'), nameOf, at(1));
    expect(down).toMatchObject({ changed: true, severityChanged: true });
    expect(down.record.tunnels.map((t) => t.since)).toEqual([
      at(1).toISOString(),
      at(0).toISOString(),
    ]);
    const same = mergeTunnelStates(down.record, connection, observe('ALARM', 'OK'), nameOf, at(2));
    expect(same).toMatchObject({ changed: false, severityChanged: false });
    expect(same.record.tunnels[0]!.since).toBe(at(1).toISOString());
    const up = mergeTunnelStates(same.record, connection, observe('OK', 'OK'), nameOf, at(3));
    expect(up.record).toMatchObject({ severity: 'ok', severitySince: at(3).toISOString() });
    expect(up.record.tunnels.map((t) => t.since)).toEqual([
      at(3).toISOString(),
      at(0).toISOString(),
    ]);
  });

  it('treats a missing alarm as not up', () => {
    const merged = mergeTunnelStates(null, connection, new Map(), nameOf, at(0));
    expect(merged.record.tunnels.map((t) => t.alarmState)).toEqual(['MISSING', 'MISSING']);
    expect(severityOf(merged.record.tunnels)).toBe('page');
    expect(tunnelStateData(merged.record)).toEqual({
      vpnConnectionId: 'vpn-0abc1234',
      tunnels: [
        { outsideIp: '203.0.113.10', up: false },
        { outsideIp: '203.0.113.11', up: false },
      ],
    });
  });
});
