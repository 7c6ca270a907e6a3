/**
 * `verify` after a switch (the drill runbook's "verify DNS and TLS" step): the record as Route 53
 * holds it must point at one side's endpoint, and that endpoint, asked with SNI = the main name,
 * must present a certificate that is trusted, valid and covers the main name — the same TLS rule
 * the switch checks before it moves the record (observe.ts), now checked on the side the record
 * actually points at. Read-only. Pure.
 */
import type { DrpilotConfig } from '../config/schema';
import type { Side } from '../config/sides';
import { activeSideOf } from '../status';

export interface VerifySwitchInput {
  /** The record that was switched: dns.recordName, or dns.drillRecordName in a drill. */
  recordName: string;
  /** The name customers ask for (dns.recordName): what the certificate must cover. */
  servedName: string;
  /** The record's CNAME target as Route 53 answers it; null when the record does not exist. */
  record: { target: string } | null;
  clusters: DrpilotConfig['clusters'];
  /** The TLS probe of the side the record points at (see sideToProbe); null when not probed. */
  tls: { ok: boolean; detail: string } | null;
}

export interface VerifyCheck {
  ok: boolean;
  detail: string;
}

export interface VerifySwitchAnswer {
  outcome: 'verified' | 'failed';
  /** The side the record points at when both checks passed; null otherwise. */
  verifiedSide: Side | null;
  recordName: string;
  target: string | null;
  /** The side the record points at, whether or not its TLS passed. */
  activeSide: Side | null;
  checks: { dns: VerifyCheck; tls: VerifyCheck };
  reason: string;
}

/** The side whose endpoint is probed: the one the record points at (none: nothing to probe). */
export function sideToProbe(
  record: VerifySwitchInput['record'],
  clusters: DrpilotConfig['clusters'],
): Side | null {
  return activeSideOf(record?.target ?? null, clusters);
}

export function verifySwitch(input: VerifySwitchInput): VerifySwitchAnswer {
  const target = input.record?.target ?? null;
  const side = sideToProbe(input.record, input.clusters);
  const dns: VerifyCheck = !target
    ? { ok: false, detail: `${input.recordName} does not exist` }
    : side
      ? { ok: true, detail: `${input.recordName} → ${target} (${side})` }
      : {
          ok: false,
          detail: `${input.recordName} → ${target}, which is neither side's endpoint (${input.clusters.primary.endpoint}, ${input.clusters.dr.endpoint})`,
        };
  const tls: VerifyCheck = !side
    ? { ok: false, detail: 'not checked: the record points at no side' }
    : input.tls
      ? { ok: input.tls.ok, detail: input.tls.detail }
      : { ok: false, detail: `not checked: no TLS probe of ${input.clusters[side].endpoint}` };
  const ok = dns.ok && tls.ok;
  return {
    outcome: ok ? 'verified' : 'failed',
    verifiedSide: ok ? side : null,
    recordName: input.recordName,
    target,
    activeSide: side,
    checks: { dns, tls },
    reason: ok
      ? `${input.recordName} points at ${side} (${target}), whose certificate covers ${input.servedName}`
      : [dns, tls]
          .filter((c) => !c.ok)
          .map((c) => c.detail)
          .join('; '),
  };
}
