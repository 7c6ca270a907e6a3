import { cloudWatchClient } from '../adapters/aws/sdk-clients/cloudwatch';
import { route53Client } from '../adapters/aws/sdk-clients/route53';
import { snsClient } from '../adapters/aws/sdk-clients/sns';
import { readAlarmStates } from '../adapters/aws/alarm-states';
import { notify } from '../adapters/aws/notify';
import { readRecord } from '../adapters/aws/route53-records';
import type { Resolver } from '../adapters/tls/tls-probe';
import { dnsRecoveryDue, recoverDnsApproval } from '../approval/recover-dns-approval';
import { REPLAN_BY } from '../core/approval/approval-rules';
import type { DrpilotConfig } from '../core/config/schema';
import { actionForTrigger, reconcileAction } from '../core/dns/alarm-to-action';
import { describeTrigger, type ParsedEvent } from '../core/events/trigger-event';
import { originOf } from '../core/events/trigger-trust';
import { SCHEDULED_ACTIONS } from '../core/shared-names';
import { activeSideOf } from '../core/status';
import { refuseIfPaused } from '../pause/pause-gate';
import { runSwitch } from './run-switch';
import { verifyAfterSwitch } from './verify';

export interface AnswerOptions {
  /** Where endpoints' TLS is reached: DNS in production, local servers in the drill and tests. */
  resolver: Resolver;
  notificationTopic: string;
  onProgress: (message: string) => void;
  onIgnored: (trigger: string, reason: string) => void;
  sleep?: (ms: number) => Promise<void>;
  insyncPollMs?: number;
  now?: () => Date;
}

/** The every-minute re-plan: a refused automatic failover is tried again while the primary stays down. */
async function reconcile(config: DrpilotConfig) {
  const [alarms, record] = await Promise.all([
    readAlarmStates(cloudWatchClient(config.controlRegion), [
      config.clusters.primary.healthAlarm,
      config.clusters.dr.healthAlarm,
    ]),
    readRecord(route53Client(), config.dns.hostedZoneId, config.dns.recordName, 'CNAME'),
  ]);
  return reconcileAction({
    primaryAlarm: alarms.get(config.clusters.primary.healthAlarm) ?? 'MISSING',
    drAlarm: alarms.get(config.clusters.dr.healthAlarm) ?? 'MISSING',
    activeSide: activeSideOf(record?.values[0] ?? null, config.clusters),
    autoFailback: config.dns.autoFailback,
  });
}

/**
 * What the DNS function does with a parsed trigger: ignore it (notifying people when they should
 * hear about it), answer `status`, re-plan on the schedule (first resuming or expiring an approval
 * of the record that was interrupted, as `drpilot approve <id>` would), `verify` the record and
 * TLS after a switch, or switch through runSwitch.
 */
export async function answerDnsTrigger(
  config: DrpilotConfig,
  trigger: ParsedEvent,
  options: AnswerOptions,
) {
  const described = describeTrigger(trigger);
  let outcome = actionForTrigger(trigger, config);
  const isReconcile = 'action' in outcome && outcome.action === SCHEDULED_ACTIONS.dnsReconcile;
  // Alarms and the re-plan stop here while dns is paused; a person's failover/failback stops
  // in runSwitch, which the CLI and the drill call too.
  if (trigger.kind === 'alarm' || isReconcile) {
    const paused = await refuseIfPaused(config, 'dns', {
      scope: 'dns',
      trigger: described,
      wouldHave: async () => {
        const found = isReconcile ? await dnsRecoveryDue(config, options.now) : null;
        if (found && 'executing' in found) return `nothing: ${found.executing.message}`;
        if (found) {
          const { due } = found;
          return due.recovery.kind === 'resume'
            ? `resume approval ${due.request.id}: ${due.recovery.message}`
            : `expire approval ${due.request.id}: ${due.recovery.result.reason}`;
        }
        const planned = isReconcile ? await reconcile(config) : outcome;
        return 'ignore' in planned
          ? `nothing: ${planned.ignore}`
          : `${planned.action}: ${planned.reason}`;
      },
      fields: { origin: isReconcile ? 'schedule' : 'alarm', recordName: config.dns.recordName },
      ...(options.now ? { now: options.now } : {}),
    });
    if (paused) return { outcome: 'refused' as const, reason: paused.reason };
  }
  if (isReconcile) {
    // An interrupted approval of the record is this tick's work; the switch re-plan waits a tick.
    const recovered = await recoverDnsApproval(config, {
      trigger: described,
      resolver: options.resolver,
      onProgress: options.onProgress,
      switchOptions: {
        ...(options.sleep ? { sleep: options.sleep } : {}),
        ...(options.insyncPollMs !== undefined ? { insyncPollMs: options.insyncPollMs } : {}),
      },
      ...(options.now ? { now: options.now } : {}),
    });
    if (recovered && 'executing' in recovered) {
      // A person approved this switch and it is under way: planning it again would ask again.
      return { outcome: 'ignored' as const, reason: recovered.executing.message };
    }
    if (recovered) {
      const { due, answer } = recovered;
      return {
        ...answer.result,
        outcome: answer.outcome,
        reason: answer.reason,
        approval: {
          id: answer.id,
          recovery: due.recovery.kind,
          attempt: answer.request?.execution?.attempt ?? null,
          by: REPLAN_BY,
        },
      };
    }
    outcome = await reconcile(config);
  }
  if ('ignore' in outcome) {
    options.onIgnored(described, outcome.ignore);
    if (outcome.notify) {
      await notify(
        snsClient(config.controlRegion),
        options.notificationTopic,
        `drpilot ${config.name}: attention`,
        { trigger: described, message: outcome.ignore },
      );
    }
    return { outcome: 'ignored' as const, reason: outcome.ignore };
  }
  if (outcome.action === SCHEDULED_ACTIONS.dnsReconcile) {
    return { outcome: 'ignored' as const, reason: 'nothing to reconcile' };
  }
  const manual = trigger.kind === 'manual' ? trigger : null;
  if (outcome.action === 'verify') {
    return verifyAfterSwitch(config, {
      drill: manual?.drill ?? false,
      resolver: options.resolver,
      ...(options.now ? { now: options.now } : {}),
    });
  }
  return runSwitch(config, {
    action: outcome.action,
    reason: manual?.reason ?? outcome.reason,
    trigger: described,
    origin: originOf(trigger, [SCHEDULED_ACTIONS.dnsReconcile]),
    force: manual?.force ?? false,
    dryRun: manual?.dryRun ?? false,
    drill: manual?.drill ?? false,
    resolver: options.resolver,
    notificationTopic: options.notificationTopic,
    onProgress: options.onProgress,
    ...(options.sleep ? { sleep: options.sleep } : {}),
    ...(options.insyncPollMs !== undefined ? { insyncPollMs: options.insyncPollMs } : {}),
    ...(options.now ? { now: options.now } : {}),
  });
}
