import type { Resolver } from '../adapters/tls/tls-probe';
import {
  dnsSubject,
  REPLAN_BY,
  replanRecovery,
  type ReplanRecovery,
} from '../core/approval/approval-rules';
import type { DrpilotConfig } from '../core/config/schema';
import type { SwitchOptions, SwitchResult } from '../dns/run-switch';
import { approvalStores, recover, type DecisionAnswer } from './carry-out-approval';
import { replanSwitch } from './replan-switch';

export interface DnsRecoveryOptions {
  /** What started it (the re-plan's trigger), for the audit entries. */
  trigger: string;
  resolver: Resolver;
  now?: () => Date;
  onProgress?: (message: string) => void;
  /** Test seams (sleep, INSYNC polling). */
  switchOptions?: Partial<SwitchOptions>;
}

/** The interrupted DNS approval the re-plan would resume or expire now (reads only), or null. */
export async function dnsRecoveryDue(
  config: DrpilotConfig,
  now: () => Date = () => new Date(),
): Promise<ReplanRecovery | null> {
  const subject = dnsSubject(config.dns.recordName);
  const { approvals } = approvalStores(config, now);
  return replanRecovery(await approvals.unfinished([subject]), subject, now().getTime());
}

/**
 * The every-minute re-plan's part in approval mode: an approval of the record whose process
 * stopped before recording its result is resumed (re-planned with every check) or expired, by
 * REPLAN_BY, exactly as a second `drpilot approve <id>` would — the same conditional take-over,
 * so of the re-plan and a person racing on it one carries it out. Null: nothing to recover.
 */
export async function recoverDnsApproval(
  config: DrpilotConfig,
  options: DnsRecoveryOptions,
): Promise<{ due: ReplanRecovery; answer: DecisionAnswer<SwitchResult> } | null> {
  const now = options.now ?? (() => new Date());
  const due = await dnsRecoveryDue(config, now);
  if (!due) return null;
  const replanOptions = {
    by: REPLAN_BY,
    resolver: options.resolver,
    now,
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    ...(options.switchOptions ? { switchOptions: options.switchOptions } : {}),
  };
  const answer = await recover(config, due.request, due.recovery, {
    by: REPLAN_BY,
    trigger: options.trigger,
    now,
    replan: (request, dryRun) => replanSwitch(config, request, replanOptions, dryRun),
  });
  return { due, answer };
}
