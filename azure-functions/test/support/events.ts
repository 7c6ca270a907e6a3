import { randomUUID } from 'node:crypto';

/** Event bodies as the AWS side sends them ("AWS → Azure events" in DESIGN.md). */

const TIME = '2025-06-01T12:00:00Z';

function envelope(type: string, seq: number, data: unknown, id = randomUUID()) {
  return { id, seq, type, time: TIME, data };
}

export function failoverEvent(
  seq: number,
  over: Partial<{ activeSide: 'primary' | 'dr'; activeRegion: string; recordName: string }> = {},
) {
  const side = over.activeSide ?? 'dr';
  return envelope('dns.failover', seq, {
    activeSide: side,
    activeRegion: over.activeRegion ?? (side === 'dr' ? 'eu-central-1' : 'eu-west-1'),
    recordName: over.recordName ?? 'main.example.com',
    target: side === 'dr' ? 'dr.example.com' : 'primary.example.com',
    changeId: `C${seq}`,
  });
}

export function resolverIpsEvent(
  seq: number,
  region: string,
  ips: string[],
  zones = ['internal.example.com'],
) {
  return envelope('resolver.ips', seq, {
    region,
    resolverEndpointId: region === 'eu-west-1' ? 'rslvr-in-0abc' : 'rslvr-in-0def',
    ips,
    zones,
  });
}

export function tunnelStateEvent(
  seq: number,
  up: [boolean, boolean],
  vpnConnectionId = 'vpn-0abc',
) {
  return envelope('tunnel.state', seq, {
    vpnConnectionId,
    tunnels: [
      { outsideIp: '203.0.113.10', up: up[0] },
      { outsideIp: '203.0.113.11', up: up[1] },
    ],
  });
}

export function pingEvent(seq = 0) {
  return envelope('ping', seq, {});
}
