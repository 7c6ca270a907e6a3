import type { ApprovalStore } from '../adapters/aws/approval-store';
import type { Resolver } from '../adapters/tls/tls-probe';
import {
  approvability,
  approvalTrigger,
  type ApprovalRequest,
} from '../core/approval/approval-rules';
import type { DrpilotConfig } from '../core/config/schema';
import { resizeScope } from '../core/shared-names';
import type { SwitchOptions, SwitchResult } from '../dns/run-switch';
import { runResize, type ResizeOptions, type ResizeResult } from '../resize/run-resize';
import {
  answerOrRequest,
  approvalStores as stores,
  execute,
  isAnswer,
  recover,
  undecidable,
  type CarryOut,
  type DecisionAnswer as Answer,
} from './carry-out-approval';
import { replanSwitch } from './replan-switch';

export type { DecisionOutcome } from './carry-out-approval';

/** The answer to `approve`/`reject`; `result` is the approval's re-plan: the switch or resize. */
export type DecisionAnswer = Answer<SwitchResult | ResizeResult>;

export interface DecideOptions {
  by: string;
  dryRun: boolean;
  /** Where endpoints' TLS is reached for a DNS re-plan's checks. */
  resolver: Resolver;
  now?: () => Date;
  onProgress?: (message: string) => void;
  /** Test seams passed to the re-plan (sleep, INSYNC polling, timeouts). */
  switchOptions?: Partial<SwitchOptions>;
  resizeOptions?: Partial<ResizeOptions>;
}

/** A person's decision, carried out with the re-plan of the request's kind. */
const byPerson = (
  config: DrpilotConfig,
  options: DecideOptions,
  now: () => Date,
): CarryOut<SwitchResult | ResizeResult> => ({
  by: options.by,
  trigger: 'cli',
  now,
  replan: (request, dryRun) => replan(config, request, options, now, dryRun),
});

/**
 * `drpilot approve <id>`: wins the request (a conditional write: of concurrent approvals one
 * does, the others answer that it was already approved), then re-plans from scratch — alarms
 * re-read, every check run again under the DNS lease — and acts only if the checks still pass.
 * An approved request whose process stopped before its result (planRecovery) is taken over and
 * re-planned, or expired with the reason, by one caller.
 */
export async function approveRequest(
  config: DrpilotConfig,
  id: string,
  options: DecideOptions,
): Promise<DecisionAnswer> {
  const now = options.now ?? (() => new Date());
  const { approvals, audit } = stores(config, now);
  const request = await approvals.get(id);
  // An approved resize without a result: its rollout may still hold the group's lease.
  const rollout =
    request?.kind === 'resize' && request.status === 'approved' && request.result === null
      ? await audit.readLease(resizeScope(request.target))
      : null;
  const judged = approvability(id, request, now().getTime(), rollout);
  if (judged.kind === 'interrupted' && !options.dryRun) {
    return recover(config, judged.request, judged.recovery, byPerson(config, options, now));
  }
  const found = answerOrRequest(id, judged);
  if (isAnswer(found)) return found;
  if (options.dryRun) {
    const result = await replan(config, found, options, now, true);
    return { outcome: 'dry-run', id, request: found, reason: result.reason, result };
  }
  const lost = await win(approvals, found, 'approved', options.by, now);
  if (lost) return lost;
  return execute(config, found, 1, byPerson(config, options, now), {
    action: 'approve',
    outcome: 'approved',
    reason: `${options.by} approved ${id} (${found.action} ${found.target}); re-planning with every check`,
  });
}

/** `drpilot reject <id>`: the request is closed; nothing is re-planned. */
export async function rejectRequest(
  config: DrpilotConfig,
  id: string,
  options: Pick<DecideOptions, 'by' | 'dryRun' | 'now'>,
): Promise<DecisionAnswer> {
  const now = options.now ?? (() => new Date());
  const { approvals, audit } = stores(config, now);
  const found = await undecidable(approvals, id, now().getTime());
  if (isAnswer(found)) return found;
  const reason = `${options.by} rejected ${id} (${found.action} ${found.target})`;
  if (options.dryRun) {
    return {
      outcome: 'dry-run',
      id,
      request: found,
      reason: `would have: ${reason}`,
      result: null,
    };
  }
  const lost = await win(approvals, found, 'rejected', options.by, now);
  if (lost) return lost;
  await audit.appendAudit(found.kind, {
    trigger: 'cli',
    action: 'reject',
    outcome: 'rejected',
    approvalId: id,
    by: options.by,
    [found.kind === 'dns' ? 'recordName' : 'group']: found.target,
    reason,
  });
  return {
    outcome: 'rejected',
    id,
    request: { ...found, status: 'rejected', decidedBy: options.by },
    reason,
    result: null,
  };
}

const DECIDE_ATTEMPTS = 5;

/**
 * Decides the request; null when this caller won. A lost write is explained from the request
 * as re-read (decided by another, or expired). DynamoDB also cancels a transaction that merely
 * conflicts with a concurrent one (TransactionCanceledException, "an ongoing TransactWriteItems
 * operation that conflicts"), leaving the request pending: that is tried again.
 */
async function win(
  approvals: ApprovalStore,
  request: ApprovalRequest,
  status: 'approved' | 'rejected',
  by: string,
  now: () => Date,
): Promise<DecisionAnswer | null> {
  for (let attempt = 1; ; attempt++) {
    if (await approvals.decide(request, status, by)) return null;
    const again = await undecidable(approvals, request.id, now().getTime());
    if (isAnswer(again)) return again;
    if (attempt >= DECIDE_ATTEMPTS) {
      throw new Error(
        `approval request ${request.id} is still pending after ${attempt} attempts to decide it`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 20 + Math.random() * 80 * attempt));
  }
}

async function replan(
  config: DrpilotConfig,
  request: ApprovalRequest,
  options: DecideOptions,
  now: () => Date,
  dryRun: boolean,
): Promise<SwitchResult | ResizeResult> {
  if (request.kind === 'dns') {
    return replanSwitch(
      config,
      request,
      {
        by: options.by,
        resolver: options.resolver,
        now,
        ...(options.onProgress ? { onProgress: options.onProgress } : {}),
        ...(options.switchOptions ? { switchOptions: options.switchOptions } : {}),
      },
      dryRun,
    );
  }
  return runResize(config, request.target, {
    ...options.resizeOptions,
    request: { kind: 'auto' },
    dryRun,
    trigger: approvalTrigger(request.id, options.by),
    automatic: true,
    approved: { id: request.id, moving: Number(request.plan['moving'] ?? 0) },
    now,
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
  });
}
