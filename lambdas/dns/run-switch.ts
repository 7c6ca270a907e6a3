import { randomUUID } from 'node:crypto';
import { cloudWatchClient } from '../adapters/aws/sdk-clients/cloudwatch';
import { dynamoDbDocumentClient } from '../adapters/aws/sdk-clients/dynamodb';
import { route53Client } from '../adapters/aws/sdk-clients/route53';
import { snsClient } from '../adapters/aws/sdk-clients/sns';
import { readAlarmStates } from '../adapters/aws/alarm-states';
import { notify } from '../adapters/aws/notify';
import { submitChangeBatch, waitForInsync } from '../adapters/aws/route53-change';
import { StateStore } from '../adapters/aws/state-store';
import type { DrpilotConfig, Side } from '../core/config/schema';
import { backoffDelayMs, classifyChangeError, compareAndSwapBatch } from '../core/dns/change-batch';
import {
  planSwitch,
  targetSideOf,
  type CheckResult,
  type SwitchAction,
  type SwitchDecision,
} from '../core/dns/plan-switch';
import { judgeTrigger, type TriggerOrigin } from '../core/events/trigger-trust';
import { notificationTopicName } from '../core/shared-names';
import { stateKeys } from '../core/state-keys';
import type { Resolver } from '../adapters/tls/tls-probe';
import { announceSwitch } from '../aks/announce-switch';
import {
  backupsAfterSwitch,
  type BackupDirectionResult,
} from '../backup-direction/follow-active-side';
import { refuseIfPaused } from '../pause/pause-gate';
import { dnsNeedsApproval } from '../core/approval/approval-rules';
import { awaitApproval } from './await-approval';
import { observeSwitch } from './observe';

export type SwitchOutcome = 'switched' | 'noop' | 'refused' | 'dry-run' | 'failed' | 'pending';

/** The contract's failover/failback result, plus what the audit trail records. */
export interface SwitchResult {
  action: SwitchAction;
  outcome: SwitchOutcome;
  recordName: string;
  from: Side | null;
  to: Side;
  changeId: string | null;
  checks: CheckResult[];
  durationMs: number;
  secondsToInsync: number | null;
  forced: boolean;
  reason: string;
  warnings: string[];
  /** With dns.mode "approve": the request this decision waits in (outcome `pending`). */
  approvalId?: string;
  /** How each cluster's Velero followed the active side (null: no backups.velero, a drill, a dry run). */
  backupDirection?: BackupDirectionResult | null;
}

export interface SwitchOptions {
  action: SwitchAction;
  /** Why, from the person or the alarm; recorded in the audit trail and the change comment. */
  reason: string;
  /** What started it: `alarm acme-primary-health ALARM`, `cli`, `drill`, … */
  trigger: string;
  /** The kind of trigger, which the `trigger` check judges against the alarms read under the lease. */
  origin: TriggerOrigin;
  force: boolean;
  dryRun: boolean;
  /** Flip dns.drillRecordName instead of the customer-facing record. */
  drill: boolean;
  /** Where the target's TLS endpoint is reached (production: DNS; the drill: local servers). */
  resolver: Resolver;
  insyncTimeoutMs?: number;
  insyncPollMs?: number;
  maxAttempts?: number;
  now?: () => Date;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  onProgress?: (message: string) => void;
  /** The notification topic's ARN when known (the deployed function); else found by name. */
  notificationTopic?: string;
  /** The re-plan of an approved request (lambdas/approval): it does not ask again. */
  approved?: { id: string; by: string };
}

/** The lease outlives a killed run by at most this (the function's timeout). */
const LEASE_SECONDS = 300;
const DEFAULT_MAX_ATTEMPTS = 8;

class ConflictError extends Error {}

/**
 * One failover or failback: take the record's lease, observe, plan, and carry out a switch as a
 * compare-and-swap change batch, retrying throttling with jittered backoff; on a conflict (the
 * record moved under us) re-read and re-plan once. Then wait for INSYNC, start the cooldown,
 * audit and notify. Handlers, the CLI and the drill all call this.
 */
export async function runSwitch(
  config: DrpilotConfig,
  options: SwitchOptions,
): Promise<SwitchResult> {
  const now = options.now ?? (() => new Date());
  const started = now().getTime();
  const recordName = options.drill ? config.dns.drillRecordName : config.dns.recordName;
  const store = new StateStore(
    dynamoDbDocumentClient(config.controlRegion),
    config.stateTable,
    () => now().getTime(),
  );
  const progress = options.onProgress ?? (() => undefined);
  const base = {
    action: options.action,
    recordName,
    to: targetSideOf(options.action),
    changeId: null,
    secondsToInsync: null,
    forced: false,
    warnings: [] as string[],
  };
  const finish = async (
    result: Omit<SwitchResult, 'durationMs'>,
    audited = true,
  ): Promise<SwitchResult> => {
    const complete = { ...result, durationMs: now().getTime() - started };
    if (audited && !options.dryRun) await record(config, store, options, complete);
    return complete;
  };

  const paused = await refuseIfPaused(config, 'dns', {
    scope: 'dns',
    trigger: options.trigger,
    wouldHave: `${options.action} ${recordName}${options.force ? ' with --force' : ''}: ${options.reason}`,
    fields: { origin: options.origin.kind, action: options.action, recordName },
    audit: !options.dryRun,
    now: () => now(),
  });
  if (paused) {
    return finish(
      { ...base, outcome: 'refused', from: null, checks: [], reason: paused.reason },
      false,
    );
  }

  if (options.origin.kind === 'alarm') {
    // Before the lease, so a stale or forged alarm event writes nothing but its audit entry.
    const primaryAlarm = config.clusters.primary.healthAlarm;
    const states = await readAlarmStates(cloudWatchClient(config.controlRegion), [primaryAlarm]);
    const check = judgeTrigger(options.origin, {
      alarmName: `primary health alarm ${primaryAlarm}`,
      currentState: states.get(primaryAlarm) ?? 'MISSING',
      expectedState: options.action === 'failover' ? 'ALARM' : 'OK',
      now: now(),
      maxEventAgeSeconds: config.triggers.maxEventAgeSeconds,
    });
    if (!check.ok) {
      const reason = `refusing to ${options.action} ${recordName}: trigger (${check.detail})`;
      const checks: CheckResult[] = [{ name: 'trigger', ok: false, detail: check.detail }];
      await store.appendAudit('dns', {
        trigger: options.trigger,
        origin: options.origin.kind,
        action: options.action,
        recordName,
        outcome: 'refused',
        checks,
        reason,
      });
      return finish({ ...base, outcome: 'refused', from: null, checks, reason }, false);
    }
  }

  // A duplicate of a change in flight: audited, but not notified (20 duplicate alarms must not
  // page 19 times), and the change in flight decides.
  const refusedByLease = async (heldBy: string, expiresAtMs: number) => {
    const reason = `another change of ${recordName} is in progress (${heldBy}, lease until ${new Date(expiresAtMs).toISOString()})`;
    await store.appendAudit('dns', {
      trigger: options.trigger,
      action: options.action,
      recordName,
      outcome: 'refused',
      reason,
    });
    return finish({ ...base, outcome: 'refused', from: null, checks: [], reason }, false);
  };

  const carryOut = async (): Promise<SwitchResult> => {
    try {
      progress(
        `observing ${recordName}, both health alarms, the target's TLS endpoint and backups`,
      );
      let decision = await plan(config, options, recordName, now());
      if (decision.kind !== 'switch') {
        // A person asking again completes a backup flip that was held or left partial.
        const backups =
          decision.kind === 'noop' && options.origin.kind === 'manual'
            ? await backupsAfterSwitch(config, options, base.to, progress)
            : null;
        return await finish({
          ...base,
          outcome: decision.kind === 'noop' ? 'noop' : 'refused',
          from: null,
          checks: decision.checks,
          reason: decision.reason,
          ...(backups ? { warnings: backups.warnings, backupDirection: backups.result } : {}),
        });
      }
      if (
        dnsNeedsApproval({
          mode: config.dns.mode,
          origin: options.origin,
          approved: options.approved !== undefined,
        })
      ) {
        return await awaitApproval(config, options, recordName, decision, () => now(), finish);
      }
      if (options.dryRun) {
        return await finish({
          ...base,
          outcome: 'dry-run',
          from: decision.from,
          checks: decision.checks,
          forced: decision.forced,
          reason: `would switch ${recordName} from ${decision.fromTarget ?? 'nothing'} to ${decision.toTarget}`,
        });
      }

      let changeId: string;
      try {
        changeId = await changeWithRetries(config, options, recordName, decision, progress);
      } catch (error) {
        if (!(error instanceof ConflictError)) throw error;
        const before = decision.fromTarget;
        progress(`${recordName} changed while switching; re-reading and re-planning once`);
        decision = await plan(config, options, recordName, now());
        if (decision.kind !== 'switch') {
          const kind = decision.kind === 'noop' ? 'noop' : 'refused';
          return await finish({
            ...base,
            outcome: kind,
            from: null,
            checks: decision.checks,
            reason: `${recordName} changed under us (it pointed at ${before ?? 'nothing'} when planned): ${decision.reason}`,
          });
        }
        try {
          changeId = await changeWithRetries(config, options, recordName, decision, progress);
        } catch (again) {
          if (!(again instanceof ConflictError)) throw again;
          return await finish({
            ...base,
            outcome: 'refused',
            from: decision.from,
            checks: decision.checks,
            reason: `${recordName} keeps changing under us (${again.message}); refusing rather than overwriting another writer`,
          });
        }
      }

      // From here on the record has moved: nothing that fails below may report the switch as
      // failed, or the cooldown and the failover time would be skipped for a change that happened.
      const warnings: string[] = [];
      const describeError = (error: unknown) =>
        error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      progress(`change ${changeId} submitted; waiting for INSYNC`);
      const insync = await waitForInsync(route53Client(), changeId, {
        timeoutMs: options.insyncTimeoutMs ?? 120_000,
        pollMs: options.insyncPollMs ?? 5_000,
        onProgress: progress,
        ...(options.sleep ? { sleep: options.sleep } : {}),
      }).catch((error: unknown) => {
        warnings.push(`could not confirm INSYNC of change ${changeId}: ${describeError(error)}`);
        return null;
      });
      if (insync && !insync.insync) {
        warnings.push(
          `change ${changeId} not INSYNC after ${insync.seconds.toFixed(0)} s (it is applied; propagation is unconfirmed)`,
        );
      }
      await Promise.all([
        store.startCooldown(
          stateKeys.dnsRecord(recordName),
          config.dns.cooldownSeconds,
          `${options.action} to ${decision.to}`,
        ),
        decision.to === 'dr'
          ? store.writeValue(stateKeys.dnsLastFailover(recordName), now().toISOString())
          : undefined,
      ]).catch((error: unknown) => {
        warnings.push(
          `the switch is applied, but its cooldown or failover time was not recorded: ${describeError(error)}`,
        );
      });
      // The AKS side learns the new side and its resolver addresses (drill record too, as a drill).
      warnings.push(
        ...(await announceSwitch(config, { recordName, to: decision.to, changeId }, now)),
      );
      // Velero follows the side now serving; a failure here is reported and paged, never undone.
      const backups = await backupsAfterSwitch(config, options, decision.to, progress);
      warnings.push(...backups.warnings);
      return await finish({
        ...base,
        outcome: 'switched',
        from: decision.from,
        changeId,
        checks: decision.checks,
        forced: decision.forced,
        secondsToInsync: insync?.insync ? insync.seconds : null,
        reason: `${recordName} now points at ${decision.toTarget} (${decision.to})${decision.forced ? ', checks overridden by --force' : ''}`,
        warnings,
        backupDirection: backups.result,
      });
    } catch (error) {
      const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      return await finish({
        ...base,
        outcome: 'failed',
        from: null,
        checks: [],
        reason: `the switch failed: ${message}`,
      });
    }
  };

  if (options.dryRun) return carryOut();
  return store.withLease(
    stateKeys.dnsRecord(recordName),
    `${options.trigger}#${randomUUID()}`,
    LEASE_SECONDS,
    { onRefused: refusedByLease, work: carryOut },
  );
}

async function plan(
  config: DrpilotConfig,
  options: SwitchOptions,
  recordName: string,
  now: Date,
): Promise<SwitchDecision> {
  return planSwitch(
    await observeSwitch(config, {
      action: options.action,
      origin: options.origin,
      recordName,
      force: options.force,
      resolver: options.resolver,
      now,
    }),
  );
}

/** Submits the compare-and-swap batch; retries throttling, turns a conflict into ConflictError. */
async function changeWithRetries(
  config: DrpilotConfig,
  options: SwitchOptions,
  recordName: string,
  decision: Extract<SwitchDecision, { kind: 'switch' }>,
  progress: (message: string) => void,
): Promise<string> {
  const batch = compareAndSwapBatch({
    recordName,
    ttl: config.dns.ttl,
    current:
      decision.fromTarget !== null && decision.fromTtl !== null
        ? { target: decision.fromTarget, ttl: decision.fromTtl }
        : null,
    newTarget: decision.toTarget,
    comment: `drpilot ${options.action} (${options.trigger}): ${options.reason}`,
  });
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const random = options.random ?? Math.random;
  const maxAttempts = options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
  for (let attempt = 0; ; attempt++) {
    try {
      return await submitChangeBatch(route53Client(), config.dns.hostedZoneId, batch);
    } catch (error) {
      const { name = 'Error', message = String(error) } = error as {
        name?: string;
        message?: string;
      };
      const kind = classifyChangeError(name, message);
      if (kind === 'conflict') throw new ConflictError(message);
      if (kind !== 'throttled' || attempt + 1 >= maxAttempts) throw error;
      const delay = backoffDelayMs(attempt, random());
      progress(
        `Route 53 answered ${name}; retrying in ${delay} ms (attempt ${attempt + 2} of ${maxAttempts})`,
      );
      await sleep(delay);
    }
  }
}

/** Every decision, refusals included, goes to the audit trail and the notification topic. */
async function record(
  config: DrpilotConfig,
  store: StateStore,
  options: SwitchOptions,
  result: SwitchResult,
): Promise<void> {
  const entry = {
    trigger: options.trigger,
    origin: options.origin.kind,
    reasonGiven: options.reason,
    action: result.action,
    recordName: result.recordName,
    outcome: result.outcome,
    from: result.from,
    to: result.to,
    changeId: result.changeId,
    secondsToInsync: result.secondsToInsync,
    forced: result.forced,
    checks: result.checks,
    reason: result.reason,
  };
  const [, warning] = await Promise.all([
    store.appendAudit('dns', entry),
    notify(
      snsClient(config.controlRegion),
      options.notificationTopic ?? notificationTopicName(config),
      `drpilot ${config.name}: ${result.action} ${result.outcome} (${result.recordName})`,
      entry,
    ),
  ]);
  if (warning) result.warnings.push(warning);
}
