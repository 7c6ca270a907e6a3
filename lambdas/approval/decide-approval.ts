import { ApprovalStore } from '../adapters/aws/approval-store';
import { dynamoDbDocumentClient } from '../adapters/aws/sdk-clients/dynamodb';
import { StateStore } from '../adapters/aws/state-store';
import type { Resolver } from '../adapters/tls/tls-probe';
import {
  approvability,
  approvalTrigger,
  approveCommand,
  type ApprovalRequest,
  type Approvability,
  type Recovery,
} from '../core/approval/approval-rules';
import type { DrpilotConfig } from '../core/config/schema';
import type { SwitchAction } from '../core/dns/plan-switch';
import { resizeScope } from '../core/resize/rollout-trust';
import { runSwitch, type SwitchOptions, type SwitchResult } from '../dns/run-switch';
import { runResize, type ResizeOptions, type ResizeResult } from '../resize/run-resize';

export type DecisionOutcome =
  | 'switched'
  | 'resized'
  | 'noop'
  | 'refused'
  | 'failed'
  | 'dry-run'
  | 'pending'
  /** A resize rollout a pause held at a node boundary. */
  | 'held'
  | 'rejected'
  /** Already approved (and carried out, or being carried out) or rejected: nothing to do. */
  | 'already-decided'
  | 'unknown'
  | 'expired';

export interface DecisionAnswer {
  outcome: DecisionOutcome;
  id: string;
  request: ApprovalRequest | null;
  reason: string;
  /** The approval's re-plan: the switch or resize result. */
  result: SwitchResult | ResizeResult | null;
}

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

function stores(config: DrpilotConfig, now: () => Date) {
  const db = dynamoDbDocumentClient(config.controlRegion);
  const clock = () => now().getTime();
  return {
    approvals: new ApprovalStore(db, config.stateTable, clock),
    audit: new StateStore(db, config.stateTable, clock),
  };
}

/** A request that cannot be decided: unknown, expired, or decided before. Null: decide it. */
async function undecidable(
  approvals: ApprovalStore,
  id: string,
  nowMs: number,
): Promise<DecisionAnswer | ApprovalRequest> {
  return answerOrRequest(id, approvability(id, await approvals.get(id), nowMs));
}

function answerOrRequest(id: string, judged: Approvability): DecisionAnswer | ApprovalRequest {
  if (judged.kind === 'approvable') return judged.request;
  if (judged.kind === 'interrupted') {
    const { recovery, request } = judged;
    return {
      outcome: 'already-decided',
      id,
      request,
      reason:
        recovery.kind === 'executing'
          ? recovery.message
          : `${id} was already approved by ${request.decidedBy ?? 'unknown'} and was not carried out: ${approveCommand(id)} resumes or expires it`,
      result: null,
    };
  }
  return {
    outcome: judged.kind === 'decided' ? 'already-decided' : judged.kind,
    id,
    request: judged.kind === 'unknown' ? null : judged.request,
    reason: judged.message,
    result: null,
  };
}

const isAnswer = (value: DecisionAnswer | ApprovalRequest): value is DecisionAnswer =>
  'outcome' in value;

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
    return recover(config, judged.request, judged.recovery, options, now);
  }
  const found = answerOrRequest(id, judged);
  if (isAnswer(found)) return found;
  if (options.dryRun) {
    const result = await replan(config, found, options, now, true);
    return { outcome: 'dry-run', id, request: found, reason: result.reason, result };
  }
  const lost = await win(approvals, found, 'approved', options.by, now);
  if (lost) return lost;
  return execute(config, found, 1, options, now, {
    action: 'approve',
    outcome: 'approved',
    reason: `${options.by} approved ${id} (${found.action} ${found.target}); re-planning with every check`,
  });
}

/** Audits the start of `attempt`, re-plans, and records what the re-plan did. */
async function execute(
  config: DrpilotConfig,
  request: ApprovalRequest,
  attempt: number,
  options: DecideOptions,
  now: () => Date,
  started: { action: string; outcome: string; reason: string },
): Promise<DecisionAnswer> {
  const { approvals, audit } = stores(config, now);
  await audit.appendAudit(request.kind, {
    trigger: 'cli',
    ...started,
    approvalId: request.id,
    attempt,
    by: options.by,
    [request.kind === 'dns' ? 'recordName' : 'group']: request.target,
  });
  const result = await replan(config, request, options, now, false);
  const recorded = await approvals.recordResult(request, attempt, {
    outcome: result.outcome,
    reason: result.reason,
  });
  return {
    outcome: result.outcome,
    id: request.id,
    request: {
      ...request,
      status: 'approved',
      decidedBy: request.decidedBy ?? options.by,
      result: { outcome: result.outcome, reason: result.reason },
    },
    reason: recorded
      ? result.reason
      : `${result.reason} (not recorded on ${request.id}: another attempt took it over)`,
    result,
  };
}

/** Carries out planRecovery's answer for an approved request without a result. */
async function recover(
  config: DrpilotConfig,
  request: ApprovalRequest,
  recovery: Recovery,
  options: DecideOptions,
  now: () => Date,
): Promise<DecisionAnswer> {
  const { approvals, audit } = stores(config, now);
  const attempt = request.execution?.attempt ?? 1;
  const lostTo = async (): Promise<DecisionAnswer> => {
    const again = await undecidable(approvals, request.id, now().getTime());
    if (isAnswer(again)) return again;
    throw new Error(`approval request ${request.id} is pending again after it was approved`);
  };
  if (recovery.kind === 'executing') {
    return {
      outcome: 'already-decided',
      id: request.id,
      request,
      reason: recovery.message,
      result: null,
    };
  }
  if (recovery.kind === 'expire') {
    if (!(await approvals.recordResult(request, attempt, recovery.result))) return lostTo();
    await audit.appendAudit(request.kind, {
      trigger: 'cli',
      action: 'approval-expired',
      outcome: 'expired',
      approvalId: request.id,
      attempt,
      by: options.by,
      [request.kind === 'dns' ? 'recordName' : 'group']: request.target,
      reason: recovery.result.reason,
    });
    return {
      outcome: 'expired',
      id: request.id,
      request: { ...request, result: recovery.result },
      reason: recovery.result.reason,
      result: null,
    };
  }
  const next = { attempt: recovery.attempt, leaseUntilMs: recovery.leaseUntilMs };
  if (!(await approvals.takeOver(request, attempt, next))) return lostTo();
  const taken: ApprovalRequest = {
    ...request,
    execution: { attempt: next.attempt, leaseUntil: new Date(next.leaseUntilMs).toISOString() },
  };
  return execute(config, taken, next.attempt, options, now, {
    action: 'approve-resumed',
    outcome: 'approved',
    reason: `${options.by}: ${recovery.message}`,
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
  const trigger = approvalTrigger(request.id, options.by);
  if (request.kind === 'dns') {
    return runSwitch(config, {
      ...options.switchOptions,
      action: request.action as SwitchAction,
      reason: `approved by ${options.by}: ${request.reason}`,
      trigger,
      // Judged like the re-plan: the primary's alarm must still ask for this switch now.
      origin: { kind: 'schedule' },
      force: false,
      dryRun,
      drill: false,
      resolver: options.resolver,
      approved: { id: request.id, by: options.by },
      now,
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    });
  }
  return runResize(config, request.target, {
    ...options.resizeOptions,
    request: { kind: 'auto' },
    dryRun,
    trigger,
    automatic: true,
    approved: { id: request.id, moving: Number(request.plan['moving'] ?? 0) },
    now,
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
  });
}
