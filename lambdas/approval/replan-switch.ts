import type { Resolver } from '../adapters/tls/tls-probe';
import { approvalTrigger, type ApprovalRequest } from '../core/approval/approval-rules';
import type { DrpilotConfig } from '../core/config/schema';
import type { SwitchAction } from '../core/dns/plan-switch';
import { runSwitch, type SwitchOptions, type SwitchResult } from '../dns/run-switch';

export interface SwitchReplanOptions {
  by: string;
  /** Where endpoints' TLS is reached for the re-plan's checks. */
  resolver: Resolver;
  now: () => Date;
  onProgress?: (message: string) => void;
  /** Test seams (sleep, INSYNC polling, timeouts). */
  switchOptions?: Partial<SwitchOptions>;
}

/** An approved DNS request's re-plan: the switch again, under the lease, with every check. */
export function replanSwitch(
  config: DrpilotConfig,
  request: ApprovalRequest,
  options: SwitchReplanOptions,
  dryRun: boolean,
): Promise<SwitchResult> {
  return runSwitch(config, {
    ...options.switchOptions,
    action: request.action as SwitchAction,
    reason: `approved by ${options.by}: ${request.reason}`,
    trigger: approvalTrigger(request.id, options.by),
    // Judged like the re-plan: the primary's alarm must still ask for this switch now.
    origin: { kind: 'schedule' },
    force: false,
    dryRun,
    drill: false,
    resolver: options.resolver,
    approved: { id: request.id, by: options.by },
    now: options.now,
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
  });
}
