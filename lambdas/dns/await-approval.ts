import { dnsSubject } from '../core/approval/approval-rules';
import { targetSideOf, type SwitchPlan } from '../core/dns/plan-switch';
import { requestApproval } from '../approval/request-approval';
import type { DrpilotConfig } from '../core/config/schema';
import type { SwitchOptions, SwitchResult } from './run-switch';

/**
 * dns.mode "approve": the switch planned from an alarm or the re-plan becomes a pending request
 * (audited and announced by requestApproval, so `finish` does not audit it again). Route 53 is
 * not touched.
 */
export async function awaitApproval(
  config: DrpilotConfig,
  options: SwitchOptions,
  recordName: string,
  decision: SwitchPlan,
  now: () => Date,
  finish: (result: Omit<SwitchResult, 'durationMs'>, audited?: boolean) => Promise<SwitchResult>,
): Promise<SwitchResult> {
  const asked = await requestApproval(
    config,
    {
      kind: 'dns',
      subject: dnsSubject(recordName),
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
      action: options.action,
      outcome: 'pending',
      recordName,
      from: decision.from,
      to: targetSideOf(options.action),
      changeId: null,
      checks: decision.checks,
      secondsToInsync: null,
      forced: false,
      reason: asked.reason,
      warnings: asked.warning ? [asked.warning] : [],
      approvalId: asked.request.id,
    },
    false,
  );
}
