import { ApprovalStore } from '../adapters/aws/approval-store';
import { dynamoDbDocumentClient } from '../adapters/aws/sdk-clients/dynamodb';
import { StateStore } from '../adapters/aws/state-store';
import {
  approvability,
  approveCommand,
  type ApprovalRequest,
  type Approvability,
  type Recovery,
} from '../core/approval/approval-rules';
import type { DrpilotConfig } from '../core/config/schema';

/**
 * Carrying out an approved request, shared by `drpilot approve <id>` (decide-approval.ts) and the
 * DNS function's every-minute re-plan (recover-dns-approval.ts). The re-plan itself is passed in,
 * so the DNS function does not load the resize path.
 */

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

/** What an approval's re-plan answers: the switch or resize result. */
export interface ReplanResult {
  outcome: DecisionOutcome;
  reason: string;
}

export interface DecisionAnswer<R extends ReplanResult = ReplanResult> {
  outcome: DecisionOutcome;
  id: string;
  request: ApprovalRequest | null;
  reason: string;
  /** The approval's re-plan: the switch or resize result. */
  result: R | null;
}

/** Re-plans an approved request from scratch (every check); `dryRun` acts on nothing. */
export type Replan<R extends ReplanResult> = (
  request: ApprovalRequest,
  dryRun: boolean,
) => Promise<R>;

export interface CarryOut<R extends ReplanResult> {
  by: string;
  /** The audit entries' trigger: `cli` for a person's decision, the re-plan's own otherwise. */
  trigger: string;
  now: () => Date;
  replan: Replan<R>;
}

export function approvalStores(config: DrpilotConfig, now: () => Date) {
  const db = dynamoDbDocumentClient(config.controlRegion);
  const clock = () => now().getTime();
  return {
    approvals: new ApprovalStore(db, config.stateTable, clock),
    audit: new StateStore(db, config.stateTable, clock),
  };
}

/** An answer without a re-plan: fits any DecisionAnswer. */
export type Undecidable = DecisionAnswer<never>;

/** A request that cannot be decided: unknown, expired, or decided before. Else the request. */
export async function undecidable(
  approvals: ApprovalStore,
  id: string,
  nowMs: number,
): Promise<Undecidable | ApprovalRequest> {
  return answerOrRequest(id, approvability(id, await approvals.get(id), nowMs));
}

export function answerOrRequest(id: string, judged: Approvability): Undecidable | ApprovalRequest {
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

export const isAnswer = (value: Undecidable | ApprovalRequest): value is Undecidable =>
  'outcome' in value;

const subjectField = (request: ApprovalRequest) => ({
  [request.kind === 'dns' ? 'recordName' : 'group']: request.target,
});

/** Audits the start of `attempt`, re-plans, and records what the re-plan did. */
export async function execute<R extends ReplanResult>(
  config: DrpilotConfig,
  request: ApprovalRequest,
  attempt: number,
  carry: CarryOut<R>,
  started: { action: string; outcome: string; reason: string },
): Promise<DecisionAnswer<R>> {
  const { approvals, audit } = approvalStores(config, carry.now);
  await audit.appendAudit(request.kind, {
    trigger: carry.trigger,
    ...started,
    approvalId: request.id,
    attempt,
    by: carry.by,
    ...subjectField(request),
  });
  const result = await carry.replan(request, false);
  const outcome = { outcome: result.outcome, reason: result.reason, by: carry.by };
  const recorded = await approvals.recordResult(request, attempt, outcome);
  return {
    outcome: result.outcome,
    id: request.id,
    request: {
      ...request,
      status: 'approved',
      decidedBy: request.decidedBy ?? carry.by,
      result: outcome,
    },
    reason: recorded
      ? result.reason
      : `${result.reason} (not recorded on ${request.id}: another attempt took it over)`,
    result,
  };
}

/**
 * Carries out planRecovery's answer for an approved request without a result: executing is left
 * alone; expire records the reason; resume takes the request over as the next attempt (a
 * conditional write on the attempt: of concurrent callers one does) and re-plans it. A caller
 * that loses either write answers with the request as re-read.
 */
export async function recover<R extends ReplanResult>(
  config: DrpilotConfig,
  request: ApprovalRequest,
  recovery: Recovery,
  carry: CarryOut<R>,
): Promise<DecisionAnswer<R>> {
  const { approvals, audit } = approvalStores(config, carry.now);
  const attempt = request.execution?.attempt ?? 1;
  const lostTo = async (): Promise<DecisionAnswer<R>> => {
    const again = await undecidable(approvals, request.id, carry.now().getTime());
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
    const expired = { ...recovery.result, by: carry.by };
    if (!(await approvals.recordResult(request, attempt, expired))) return lostTo();
    await audit.appendAudit(request.kind, {
      trigger: carry.trigger,
      action: 'approval-expired',
      outcome: 'expired',
      approvalId: request.id,
      attempt,
      by: carry.by,
      ...subjectField(request),
      reason: recovery.result.reason,
    });
    return {
      outcome: 'expired',
      id: request.id,
      request: { ...request, result: expired },
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
  return execute(config, taken, next.attempt, carry, {
    action: 'approve-resumed',
    outcome: 'approved',
    reason: `${carry.by}: ${recovery.message}`,
  });
}
