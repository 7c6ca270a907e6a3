import { approvalUnderway, dnsSubject } from '../core/approval/approval-rules';
import { targetSideOf, type SwitchPlan } from '../core/dns/plan-switch';
import { approvalStores } from '../approval/carry-out-approval';
import { requestApproval } from '../approval/request-approval';
import type { DrpilotConfig } from '../core/config/schema';
import type { SwitchOptions, SwitchResult } from './run-switch';

/**
 * dns.mode "approve": the switch planned from an alarm or the re-plan becomes a pending request
 * (audited and announced by requestApproval, so `finish` does not audit it again). Route 53 is
 * not touched. While a switch of the record a person approved is still to be carried out
 * (approvalUnderway), no second request is raised: the answer names that approval.
 */
export async function awaitApproval(
  config: DrpilotConfig,
  options: SwitchOptions,
  recordName: string,
  decision: SwitchPlan,
  now: () => Date,
  finish: (result: Omit<SwitchResult, 'durationMs'>, audited?: boolean) => Promise<SwitchResult>,
): Promise<SwitchResult> {
  const pending = {
    action: options.action,
    outcome: 'pending' as const,
    recordName,
    from: decision.from,
    to: targetSideOf(options.action),
    changeId: null,
    checks: decision.checks,
    secondsToInsync: null,
    forced: false,
  };
  const subject = dnsSubject(recordName);
  const unfinished = await approvalStores(config, now).approvals.unfinished([subject]);
  const underway = approvalUnderway(unfinished, subject, now().getTime());
  if (underway) {
    return finish({
      ...pending,
      reason: `not asking again: ${underway.message}`,
      warnings: [],
      approvalId: underway.request.id,
    });
  }
  const asked = await requestApproval(
    config,
    {
      kind: 'dns',
      subject,
      action: options.action,
      target: recordName,
      trigger: options.trigger,
      reason: options.reason,
      plan: {
        from: decision.from,
        to: decision.to,
        fromTarget: decision.fromTarget,
        toTarget: decision.toTarget,
      },
      checks: decision.checks,
    },
    {
      now: () => now().getTime(),
      ...(options.notificationTopic ? { notificationTopic: options.notificationTopic } : {}),
    },
  );
  return finish(
    {
      ...pending,
      reason: asked.reason,
      warnings: asked.warning ? [asked.warning] : [],
      approvalId: asked.request.id,
    },
    false,
  );
}
