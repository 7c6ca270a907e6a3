import type { Resolver } from '../adapters/tls/tls-probe';
import {
  dnsSubject,
  approvalUnderway,
  REPLAN_BY,
  replanRecovery,
  type ApprovalUnderway,
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

/**
 * The record's unfinished approvals as the re-plan sees them (reads only): the interrupted one it
 * would resume or expire now, or one still being carried out; null when neither.
 */
export async function dnsRecoveryDue(
  config: DrpilotConfig,
  now: () => Date = () => new Date(),
): Promise<{ due: ReplanRecovery } | { executing: ApprovalUnderway } | null> {
  const subject = dnsSubject(config.dns.recordName);
  const { approvals } = approvalStores(config, now);
  const unfinished = await approvals.unfinished([subject]);
  const nowMs = now().getTime();
  const due = replanRecovery(unfinished, subject, nowMs);
  if (due) return { due };
  // Nothing is due: an approval still under way is one whose attempt may be carrying it out.
  const executing = approvalUnderway(unfinished, subject, nowMs);
  return executing ? { executing } : null;
}

/**
 * The every-minute re-plan's part in approval mode: an approval of the record whose process
 * stopped before recording its result is resumed (re-planned with every check) or expired, by
 * REPLAN_BY, exactly as a second `drpilot approve <id>` would — the same conditional take-over,
 * so of the re-plan and a person racing on it one carries it out. An approval still being carried
 * out is returned as `executing`, untouched. Null: nothing to recover.
 */
export async function recoverDnsApproval(
  config: DrpilotConfig,
  options: DnsRecoveryOptions,
): Promise<
  | { due: ReplanRecovery; answer: DecisionAnswer<SwitchResult> }
  | { executing: ApprovalUnderway }
  | null
> {
  const now = options.now ?? (() => new Date());
  const found = await dnsRecoveryDue(config, now);
  if (!found || 'executing' in found) return found;
  const { due } = found;
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
