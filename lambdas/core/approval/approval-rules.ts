/**
 * Approval mode: a decision drpilot would carry out by itself (an alarm-driven or re-planned DNS
 * switch with `dns.mode: "approve"`, an automatic resize moving more than a group's
 * `approveAboveShare` of its nodes) waits for a person instead. Pure: the state table keeps the
 * requests (adapters/aws/approval-store.ts); these rules say which decisions wait, and whether a
 * request can still be approved.
 */
import type { TriggerOrigin } from '../events/trigger-trust';

export type ApprovalKind = 'dns' | 'resize';
export type ApprovalStatus = 'pending' | 'approved' | 'rejected';

export interface ApprovalCheck {
  name: string;
  ok: boolean;
  detail: string;
  skipped?: boolean;
}

/** A request as kept in the state table. */
export interface ApprovalRequest {
  id: string;
  kind: ApprovalKind;
  /** One pending request at a time per subject: `dns#<record>`, `resize#<group>`. */
  subject: string;
  /** `failover` / `failback` for dns; `resize` for a node group. */
  action: string;
  /** dns: the record name; resize: the group id. */
  target: string;
  status: ApprovalStatus;
  requestedAt: string;
  expiresAt: string;
  /** What asked for the decision (the alarm, the re-plan). */
  trigger: string;
  reason: string;
  plan: Record<string, unknown>;
  checks: ApprovalCheck[];
  decidedBy: string | null;
  decidedAt: string | null;
  /**
   * What the approval's re-plan did: its outcome and reason, and who carried it out (the
   * approver, a later `approve` that resumed it, or the every-minute re-plan: REPLAN_BY).
   */
  result: { outcome: string; reason: string; by?: string } | null;
  /**
   * Set when the request is approved: which attempt at carrying it out holds it, and until when
   * (its lease). Approved with no result past `leaseUntil`: that attempt was interrupted.
   */
  execution: { attempt: number; leaseUntil: string } | null;
}

/**
 * How long an approved request's re-plan may take before another `approve` of it may take over:
 * longer than a Lambda function can run (15 minutes, "Configure Lambda function timeout",
 * https://docs.aws.amazon.com/lambda/latest/dg/configuration-timeout.html) and than a DNS
 * switch's INSYNC wait, so a live attempt is never taken over.
 */
export const EXECUTION_LEASE_SECONDS = 20 * 60;
/** Attempts at carrying out one approval before it is expired instead of tried again. */
export const MAX_EXECUTION_ATTEMPTS = 3;

export const dnsSubject = (recordName: string) => `dns#${recordName}`;
export const resizeSubject = (groupId: string) => `resize#${groupId}`;

export const approveCommand = (id: string) => `drpilot approve ${id}`;
export const rejectCommand = (id: string) => `drpilot reject ${id}`;

/**
 * A DNS switch waits for approval when the mode says so and no person asked for it: a person's
 * failover/failback is the approval, and an approved request's re-plan is not asked again.
 */
export function dnsNeedsApproval(input: {
  mode: 'auto' | 'approve';
  origin: TriggerOrigin;
  approved: boolean;
}): boolean {
  return input.mode === 'approve' && input.origin.kind !== 'manual' && !input.approved;
}

/**
 * An automatic resize waits when it moves more than `approveAboveShare` (0–1) of the group's
 * nodes; the answer says by how much. Null: it goes ahead. An approved request's re-plan goes
 * ahead while it moves no more nodes than were approved (the load may have grown meanwhile).
 */
export function resizeNeedsApproval(input: {
  approveAboveShare: number | undefined;
  moving: number;
  members: number;
  automatic: boolean;
  /** How many nodes the approved request's plan moved; null when not an approval's re-plan. */
  approvedMoving: number | null;
}): { share: number; reason: string } | null {
  const { approveAboveShare: limit, moving, members, approvedMoving } = input;
  if (limit === undefined || !input.automatic || members === 0) return null;
  const share = moving / members;
  if (share <= limit) return null;
  if (approvedMoving !== null && moving <= approvedMoving) return null;
  return {
    share,
    reason: `the plan moves ${moving} of ${members} nodes (${percent(share)}), more than approveAboveShare ${percent(limit)}`,
  };
}

export type Approvability =
  | { kind: 'approvable'; request: ApprovalRequest }
  | { kind: 'interrupted'; request: ApprovalRequest; recovery: Recovery }
  | { kind: 'unknown'; message: string }
  | { kind: 'expired'; request: ApprovalRequest; message: string }
  | { kind: 'decided'; request: ApprovalRequest; message: string };

/** What an approval's re-plan names as its trigger; a resize rollout's lease holder starts with it. */
export const approvalTrigger = (id: string, by: string) => `approval ${id} by ${by}`;

/** A node group's rollout lease as the state table holds it. */
export interface RolloutLease {
  holder: string;
  expiresAtMs: number;
}

/**
 * Whether `approve`/`reject` may decide a request at `nowMs`: pending, and not yet expired.
 * `rollout`: for an approved resize without a result, its group's rollout lease (planRecovery).
 */
export function approvability(
  id: string,
  request: ApprovalRequest | null,
  nowMs: number,
  rollout: RolloutLease | null = null,
): Approvability {
  if (request === null) {
    return {
      kind: 'unknown',
      message: `no approval request ${id} (drpilot status lists the pending ones)`,
    };
  }
  if (request.status === 'approved' && request.result === null) {
    return { kind: 'interrupted', request, recovery: planRecovery(request, nowMs, rollout) };
  }
  if (request.status !== 'pending') {
    const result = request.result
      ? `; its re-plan was ${request.result.outcome}: ${request.result.reason}`
      : '';
    return {
      kind: 'decided',
      request,
      message: `${id} was already ${request.status} by ${request.decidedBy ?? 'unknown'} at ${request.decidedAt ?? '?'}${result}: nothing to do`,
    };
  }
  if (Date.parse(request.expiresAt) <= nowMs) {
    return {
      kind: 'expired',
      request,
      message: `approval request ${id} expired at ${request.expiresAt}: it can no longer be approved (a standing alarm asks again)`,
    };
  }
  return { kind: 'approvable', request };
}

export type Recovery =
  /** Its attempt still holds the lease: leave it alone. */
  | { kind: 'executing'; message: string }
  /** Take it over as `attempt` and re-plan: the re-plan re-observes the world before acting. */
  | { kind: 'resume'; attempt: number; leaseUntilMs: number; message: string }
  /** Close it without acting: the result to record. */
  | { kind: 'expire'; result: { outcome: 'expired'; reason: string } };

/**
 * An approved request without a result: its process stopped between winning the approval and
 * recording what the re-plan did. While its lease runs it may still be working. Past the lease it
 * is re-planned from scratch (a trigger is a claim, not a fact: the re-plan re-reads the alarms and
 * runs every check, so a failover whose primary has recovered moves nothing) while the request's
 * approval window is open and fewer than MAX_EXECUTION_ATTEMPTS attempts were made; otherwise it is
 * expired with the reason. Both are conditional writes on the attempt, so one caller does it.
 * A resize's attempt runs its rollout under the group's lease, which the rollout renews at every
 * step and which may outlast EXECUTION_LEASE_SECONDS: while that lease is held by this request's
 * rollout, an attempt may still be moving nodes (or died within the lease), so it is left alone —
 * a re-plan would only be refused by that lease and record the refusal as the approval's result.
 */
export function planRecovery(
  request: ApprovalRequest,
  nowMs: number,
  rollout: RolloutLease | null = null,
): Recovery {
  const attempt = request.execution?.attempt ?? 1;
  // A request approved before executions had leases: its lease counts from its approval.
  const leaseUntil =
    request.execution?.leaseUntil ??
    new Date(
      Date.parse(request.decidedAt ?? request.requestedAt) + EXECUTION_LEASE_SECONDS * 1000,
    ).toISOString();
  const approvedBy = `approved by ${request.decidedBy ?? 'unknown'} at ${request.decidedAt ?? '?'}`;
  if (Date.parse(leaseUntil) > nowMs) {
    return {
      kind: 'executing',
      message: `${request.id} was ${approvedBy} and attempt ${attempt} is carrying it out (its lease runs until ${leaseUntil}): nothing to do`,
    };
  }
  if (
    request.kind === 'resize' &&
    rollout !== null &&
    rollout.expiresAtMs > nowMs &&
    rollout.holder.startsWith(approvalTrigger(request.id, ''))
  ) {
    return {
      kind: 'executing',
      message: `${request.id} was ${approvedBy}; the rollout of attempt ${attempt} still holds the lease of ${request.target} until ${new Date(rollout.expiresAtMs).toISOString()}: nothing to do (after it, ${approveCommand(request.id)} resumes or expires it)`,
    };
  }
  const interrupted = `${request.id} was ${approvedBy} but attempt ${attempt} stopped before recording a result (its lease ran out at ${leaseUntil})`;
  if (attempt >= MAX_EXECUTION_ATTEMPTS) {
    return {
      kind: 'expire',
      result: {
        outcome: 'expired',
        reason: `${interrupted}; ${attempt} attempts were interrupted: expired without acting (a standing alarm asks again)`,
      },
    };
  }
  if (Date.parse(request.expiresAt) <= nowMs) {
    return {
      kind: 'expire',
      result: {
        outcome: 'expired',
        reason: `${interrupted}; its approval window closed at ${request.expiresAt}: expired without acting (a standing alarm asks again)`,
      },
    };
  }
  return {
    kind: 'resume',
    attempt: attempt + 1,
    leaseUntilMs: nowMs + EXECUTION_LEASE_SECONDS * 1000,
    message: `${interrupted}; attempt ${attempt + 1} re-plans it with every check`,
  };
}

/** Who carries out an interrupted DNS approval found by the every-minute re-plan. */
export const REPLAN_BY = 'drpilot re-plan';

/** An interrupted request the every-minute re-plan carries out, and how. */
export interface ReplanRecovery {
  request: ApprovalRequest;
  recovery: Extract<Recovery, { kind: 'resume' | 'expire' }>;
}

/**
 * Which interrupted DNS approval the every-minute re-plan resumes or expires now, as a second
 * `approve <id>` would (planRecovery): the longest-approved of `unfinished` whose attempt is past
 * its lease, one per tick. Requests still executing, of another subject, or with a result are
 * left alone; null: nothing to recover.
 */
export function replanRecovery(
  unfinished: readonly ApprovalRequest[],
  subject: string,
  nowMs: number,
): ReplanRecovery | null {
  for (const { request, recovery } of unfinishedOf(unfinished, subject, nowMs)) {
    if (recovery.kind !== 'executing') return { request, recovery };
  }
  return null;
}

/** An approved request still to be carried out, with what planRecovery says of it. */
export interface ApprovalUnderway {
  request: ApprovalRequest;
  message: string;
}

/**
 * An approved request of `subject` that will still be carried out: its attempt may be working
 * (executing), or it died and the every-minute re-plan or `approve <id>` resumes it (resume).
 * While one exists, a new trigger for the subject does not raise a second request: it would ask
 * again for what a person already approved. An approval only to be expired does not count (a
 * standing alarm asks again). Null when there is none.
 */
export function approvalUnderway(
  unfinished: readonly ApprovalRequest[],
  subject: string,
  nowMs: number,
): ApprovalUnderway | null {
  for (const { request, recovery } of unfinishedOf(unfinished, subject, nowMs)) {
    if (recovery.kind === 'executing') return { request, message: recovery.message };
    if (recovery.kind === 'resume') {
      return {
        request,
        message: `${recovery.message} at the next every-minute re-plan (or ${approveCommand(request.id)})`,
      };
    }
  }
  return null;
}

/** `subject`'s approved requests without a result, longest-approved first, with planRecovery's answer. */
function unfinishedOf(unfinished: readonly ApprovalRequest[], subject: string, nowMs: number) {
  return unfinished
    .filter((r) => r.subject === subject && r.status === 'approved' && r.result === null)
    .sort((a, b) => (a.decidedAt ?? a.requestedAt).localeCompare(b.decidedAt ?? b.requestedAt))
    .map((request) => ({ request, recovery: planRecovery(request, nowMs) }));
}

/** Pending and not expired at `nowMs`: what `status` lists. */
export function isOpen(request: ApprovalRequest, nowMs: number): boolean {
  return request.status === 'pending' && Date.parse(request.expiresAt) > nowMs;
}

function percent(share: number): string {
  return `${Math.round(share * 1000) / 10}%`;
}
