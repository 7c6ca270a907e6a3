/**
 * The DNS switch planner (decide-then-act): from what the caller observed — the record, both
 * health alarms, the TLS probe, the target side's newest restorable backup, the cooldown and
 * external-dns's ownership records — decide whether to move the CNAME, and say why for every
 * check. Pure and deterministic: the executor acts only on a `switch`, and the audit records
 * `checks` whatever the decision.
 *
 * `trigger` (listed last): an alarm event or the periodic re-plan moves the record only while the
 * primary's health alarm is, as read now, in the state that asks for the move (ALARM for a
 * failover, OK for an automatic failback), and an alarm event only while it is fresh. A person's
 * request (`manual`) is not re-observed. Force never overrides it (only people force, and their
 * requests pass it).
 *
 * What `--force` overrides (DESIGN.md: "--force overrides checks but never the lease"):
 * - skipped by force: `target-healthy`, `tls-san`, `backup-fresh` and `cooldown`. These judge
 *   whether the switch is wise; a person forcing it has judged that (it is audited). The
 *   cooldown is anti-flapping for automatic triggers; the lease, not the cooldown, is what
 *   keeps concurrent triggers to one change, and force never touches the lease.
 * - never skipped: `external-dns`. A record external-dns owns is rewritten by its next sync
 *   (every minute by default), so a forced switch would not stick: it would start a fight that
 *   force cannot win, flapping the customer-facing name. Remove the ownership first.
 * - `record-shape`: a record pointing at neither endpoint is never overwritten, forced or not:
 *   someone put it there on purpose (a maintenance page, a migration) and drpilot does not
 *   recognise it. A MISSING record is refused too ("create it first") — it is not the state
 *   drpilot leaves, and an automatic trigger must not create the customer-facing name — but
 *   `--force` may create it (`from: null`): the CREATE-only batch is itself a compare-and-swap,
 *   since Route 53 rejects it when any record appeared at the name meanwhile.
 *
 * A forced skip keeps the check's finding: `{ ok: false, skipped: true, detail: "skipped by
 * --force: …" }`, so the audit says what was overridden. A check turned off in config is
 * `{ ok: true, skipped: true }`. `forced` is true when force overrode at least one failure.
 */
import type { DrpilotConfig, Side } from '../config/schema';
import type { AlarmState } from '../events/trigger-event';
import { judgeTrigger, type TriggerOrigin } from '../events/trigger-trust';
import { activeSideOf } from '../status';

export type SwitchAction = 'failover' | 'failback';

/** Every check, in the order `checks` lists them. */
export const CHECK_NAMES = [
  'target-healthy',
  'tls-san',
  'backup-fresh',
  'cooldown',
  'external-dns',
  'record-shape',
  'trigger',
] as const;
export type CheckName = (typeof CHECK_NAMES)[number];

export interface CheckResult {
  name: CheckName;
  /** The finding (false for a failure, even one --force skipped). */
  ok: boolean;
  detail: string;
  /** Not counted: turned off in config (ok: true) or overridden by --force. */
  skipped?: boolean;
}

export interface TlsProbeResult {
  ok: boolean;
  detail: string;
}

export interface CnameRecord {
  /** The CNAME value exactly as Route 53 returned it. */
  target: string;
  ttl: number;
}

export interface ExternalDnsClaim {
  /** The TXT record's name. */
  name: string;
  /** The value that claims ownership (see isExternalDnsOwnership). */
  value: string;
}

export interface SwitchPolicy {
  checks: { targetHealthy: boolean; tlsSan: boolean; maxBackupAgeSeconds: number };
  force: boolean;
  /** triggers.maxEventAgeSeconds: how old an alarm event may be and still move the record. */
  maxEventAgeSeconds: number;
}

export interface PlanSwitchInput {
  action: SwitchAction;
  /** What asked for the switch: an alarm event, the periodic re-plan or a person. */
  origin: TriggerOrigin;
  /** The record to move: dns.recordName, or dns.drillRecordName in a drill. */
  recordName: string;
  /** The name the certificate must cover: always dns.recordName. */
  servedName: string;
  /** The current CNAME of recordName, or null when there is none. */
  record: CnameRecord | null;
  clusters: DrpilotConfig['clusters'];
  healthAlarms: Record<Side, AlarmState | 'MISSING'>;
  /** The target side's TLS probe; null when not probed (the check is off). */
  tls: TlsProbeResult | null;
  /** The newest restorable backup in the target side's bucket. */
  targetBackup: { name: string; completionTimestamp: string } | null;
  /** When the record last moved primary → dr (ISO); failback needs a backup completed after. */
  lastFailoverAt: string | null;
  /** TXT records under external-dns's names for recordName that claim ownership. */
  externalDnsOwnership: readonly ExternalDnsClaim[];
  cooldown: { untilMs: number; reason: string } | null;
  /** ISO 8601. */
  now: string;
  policy: SwitchPolicy;
}

export interface SwitchPlan {
  kind: 'switch';
  /** null when the record does not exist and --force creates it. */
  from: Side | null;
  to: Side;
  /** The current value exactly as read (what the DELETE must match), or null. */
  fromTarget: string | null;
  /** The current TTL (what the DELETE must match), or null. */
  fromTtl: number | null;
  toTarget: string;
  /** --force overrode at least one failed check. */
  forced: boolean;
  checks: CheckResult[];
}

export interface NoopDecision {
  kind: 'noop';
  reason: string;
  checks: CheckResult[];
}

export interface RefuseDecision {
  kind: 'refuse';
  reason: string;
  checks: CheckResult[];
}

export type SwitchDecision = SwitchPlan | NoopDecision | RefuseDecision;

/** failover moves the record to dr, failback to primary. */
export function targetSideOf(action: SwitchAction): Side {
  return action === 'failover' ? 'dr' : 'primary';
}

const VERB: Record<SwitchAction, string> = { failover: 'fail over', failback: 'fail back' };

interface Finding {
  name: CheckName;
  ok: boolean;
  detail: string;
  /** Turned off in config. */
  disabled?: boolean;
  /** --force may override a failure. */
  forceable: boolean;
}

export function planSwitch(input: PlanSwitchInput): SwitchDecision {
  const nowMs = Date.parse(input.now);
  if (Number.isNaN(nowMs)) throw new RangeError(`planSwitch: now is not a timestamp: ${input.now}`);
  const to = targetSideOf(input.action);
  const toTarget = input.clusters[to].endpoint;
  const from = input.record ? activeSideOf(input.record.target, input.clusters) : null;

  const findings: Record<CheckName, Finding> = {
    'target-healthy': targetHealthy(input, to),
    'tls-san': tlsSan(input, to),
    'backup-fresh': backupFresh(input, to, nowMs),
    cooldown: cooldown(input, nowMs),
    'external-dns': externalDns(input),
    'record-shape': recordShape(input, from, to),
    trigger: trigger(input, nowMs),
  };
  const checks = CHECK_NAMES.map((name) => toCheck(findings[name], input.policy.force));

  if (input.record && from === to) {
    return {
      kind: 'noop',
      reason: `${input.recordName} already points at ${to} (${input.record.target}): nothing to do`,
      checks,
    };
  }
  const failed = checks.filter((check) => !check.ok && !check.skipped);
  if (failed.length > 0) {
    const list = failed.map((check) => `${check.name} (${check.detail})`).join('; ');
    return {
      kind: 'refuse',
      reason: `refusing to ${VERB[input.action]} ${input.recordName} to ${to}: ${list}`,
      checks,
    };
  }
  return {
    kind: 'switch',
    from,
    to,
    fromTarget: input.record?.target ?? null,
    fromTtl: input.record?.ttl ?? null,
    toTarget,
    forced: checks.some((check) => !check.ok && check.skipped === true),
    checks,
  };
}

function toCheck(finding: Finding, force: boolean): CheckResult {
  const { name, ok, detail } = finding;
  if (finding.disabled) return { name, ok: true, detail, skipped: true };
  if (!ok && force && finding.forceable) {
    return { name, ok: false, detail: `skipped by --force: ${detail}`, skipped: true };
  }
  return { name, ok, detail };
}

function trigger(input: PlanSwitchInput, nowMs: number): Finding {
  const judged = judgeTrigger(input.origin, {
    alarmName: `primary health alarm ${input.clusters.primary.healthAlarm}`,
    currentState: input.healthAlarms.primary,
    expectedState: input.action === 'failover' ? 'ALARM' : 'OK',
    now: new Date(nowMs),
    maxEventAgeSeconds: input.policy.maxEventAgeSeconds,
  });
  return { name: 'trigger', ok: judged.ok, detail: judged.detail, forceable: false };
}

function targetHealthy(input: PlanSwitchInput, to: Side): Finding {
  const name = 'target-healthy';
  if (!input.policy.checks.targetHealthy) {
    return {
      name,
      ok: true,
      disabled: true,
      forceable: true,
      detail: 'disabled (dns.checks.targetHealthy is false)',
    };
  }
  const alarm = `${to} health alarm ${input.clusters[to].healthAlarm}`;
  const state = input.healthAlarms[to];
  const detail =
    state === 'OK'
      ? `${alarm} is OK`
      : state === 'ALARM'
        ? `${alarm} is ALARM: the endpoint fails its health check`
        : state === 'INSUFFICIENT_DATA'
          ? `${alarm} is INSUFFICIENT_DATA: its health is not established`
          : `${alarm} does not exist`;
  return { name, ok: state === 'OK', detail, forceable: true };
}

function tlsSan(input: PlanSwitchInput, to: Side): Finding {
  const name = 'tls-san';
  if (!input.policy.checks.tlsSan) {
    return {
      name,
      ok: true,
      disabled: true,
      forceable: true,
      detail: 'disabled (dns.checks.tlsSan is false)',
    };
  }
  const endpoint = `${to} endpoint ${input.clusters[to].endpoint}`;
  if (!input.tls) {
    return {
      name,
      ok: false,
      forceable: true,
      detail: `not probed: ${endpoint} was not asked for a certificate for ${input.servedName}`,
    };
  }
  return {
    name,
    ok: input.tls.ok,
    forceable: true,
    detail: `${endpoint} with SNI ${input.servedName}: ${input.tls.detail}`,
  };
}

function backupFresh(input: PlanSwitchInput, to: Side, nowMs: number): Finding {
  const name = 'backup-fresh';
  const fail = (detail: string): Finding => ({ name, ok: false, detail, forceable: true });
  const backup = input.targetBackup;
  if (!backup) return fail(`no restorable backup in the ${to} side's bucket`);
  const completedMs = Date.parse(backup.completionTimestamp);
  const which = `newest restorable backup on ${to}, ${backup.name}, completed at ${backup.completionTimestamp}`;
  if (Number.isNaN(completedMs)) return fail(`${which}: not a readable time`);
  const limit = input.policy.checks.maxBackupAgeSeconds;
  const ageSeconds = Math.max(0, Math.floor((nowMs - completedMs) / 1000));
  const age = `${which}, is ${ageSeconds} s old (limit ${limit} s)`;
  if (ageSeconds > limit) return fail(age);
  if (input.action === 'failback') {
    const lastFailover = input.lastFailoverAt;
    if (lastFailover === null) {
      return fail(
        `${age}, but when the record moved to dr is unknown, so it cannot be shown to hold the data written in dr`,
      );
    }
    const failoverMs = Date.parse(lastFailover);
    if (Number.isNaN(failoverMs))
      return fail(`${age}; the failover time ${lastFailover} is not readable`);
    if (completedMs <= failoverMs) {
      return fail(
        `${age}, but not after the failover at ${lastFailover}: the data written in dr since would be lost`,
      );
    }
    return {
      name,
      ok: true,
      forceable: true,
      detail: `${age}, after the failover at ${lastFailover}`,
    };
  }
  return { name, ok: true, forceable: true, detail: age };
}

function cooldown(input: PlanSwitchInput, nowMs: number): Finding {
  const name = 'cooldown';
  const cool = input.cooldown;
  if (!cool) return { name, ok: true, forceable: true, detail: 'no cooldown in force' };
  const until = isoOrRaw(cool.untilMs);
  if (cool.untilMs > nowMs) {
    const left = Math.ceil((cool.untilMs - nowMs) / 1000);
    return {
      name,
      ok: false,
      forceable: true,
      detail: `no switch until ${until} (${left} s left): ${cool.reason}`,
    };
  }
  return { name, ok: true, forceable: true, detail: `cooldown ended at ${until}` };
}

function externalDns(input: PlanSwitchInput): Finding {
  const name = 'external-dns';
  const claims = input.externalDnsOwnership;
  if (claims.length === 0) {
    return {
      name,
      ok: true,
      forceable: false,
      detail: `no external-dns ownership TXT record for ${input.recordName}`,
    };
  }
  const listed = claims.map((claim) => `${claim.name} ${shorten(claim.value)}`).join(', ');
  return {
    name,
    ok: false,
    forceable: false,
    detail:
      `external-dns claims ${input.recordName} (TXT ${listed}); it would rewrite the record, ` +
      'so --force does not override this: stop external-dns publishing the name, then remove the TXT record',
  };
}

function recordShape(input: PlanSwitchInput, from: Side | null, to: Side): Finding {
  const name = 'record-shape';
  const record = input.record;
  const { primary, dr } = input.clusters;
  if (!record) {
    return {
      name,
      ok: false,
      forceable: true,
      detail:
        `${input.recordName} has no CNAME record: create it pointing at the serving side's endpoint first ` +
        `(--force creates it pointing at ${input.clusters[to].endpoint})`,
    };
  }
  if (from === null) {
    return {
      name,
      ok: false,
      forceable: false,
      detail:
        `${input.recordName} points at ${record.target}, which is neither primary (${primary.endpoint}) ` +
        `nor dr (${dr.endpoint}): drpilot does not overwrite a record it does not recognise, even with --force`,
    };
  }
  return {
    name,
    ok: true,
    forceable: true,
    detail: `${input.recordName} is a CNAME to ${record.target} (${from}), TTL ${record.ttl}`,
  };
}

function isoOrRaw(ms: number): string {
  return Number.isFinite(ms) ? new Date(ms).toISOString() : String(ms);
}

function shorten(value: string): string {
  return value.length > 80 ? `${value.slice(0, 77)}...` : value;
}
