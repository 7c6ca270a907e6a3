import { describe, expect, it } from 'vitest';
import { sideToProbe, verifySwitch } from '../../lambdas/core/dns/verify-switch';

const clusters = {
  primary: { region: 'eu-west-1', endpoint: 'primary.example.com', healthAlarm: 'p' },
  dr: { region: 'eu-central-1', endpoint: 'dr.example.com', healthAlarm: 'd' },
} as Parameters<typeof verifySwitch>[0]['clusters'];
const base = { recordName: 'drill.example.com', servedName: 'main.example.com', clusters };
const tlsOk = { ok: true, detail: 'certificate covers main.example.com' };

describe('verify after a switch (core/dns/verify-switch.ts)', () => {
  it('is verified for the side the record points at when its TLS covers the main name', () => {
    const record = { target: 'DR.example.com.' };
    expect(sideToProbe(record, clusters)).toBe('dr');
    expect(verifySwitch({ ...base, record, tls: tlsOk })).toEqual({
      outcome: 'verified',
      verifiedSide: 'dr',
      recordName: 'drill.example.com',
      target: 'DR.example.com.',
      activeSide: 'dr',
      checks: {
        dns: { ok: true, detail: 'drill.example.com → DR.example.com. (dr)' },
        tls: tlsOk,
      },
      reason:
        'drill.example.com points at dr (DR.example.com.), whose certificate covers main.example.com',
    });
  });

  it.each([
    [
      'the record is missing',
      null,
      null,
      'drill.example.com does not exist; not checked: the record points at no side',
    ],
    [
      "the record points at neither side's endpoint",
      { target: 'elsewhere.example.com' },
      null,
      "drill.example.com → elsewhere.example.com, which is neither side's endpoint (primary.example.com, dr.example.com); not checked: the record points at no side",
    ],
    [
      'the TLS probe failed',
      { target: 'dr.example.com' },
      { ok: false, detail: 'certificate does not cover main.example.com' },
      'certificate does not cover main.example.com',
    ],
    [
      'no TLS probe was made',
      { target: 'dr.example.com' },
      null,
      'not checked: no TLS probe of dr.example.com',
    ],
  ])('fails when %s, naming why', (_name, record, tls, reason) => {
    const answer = verifySwitch({ ...base, record, tls });
    expect(answer).toMatchObject({ outcome: 'failed', verifiedSide: null, reason });
  });
});
