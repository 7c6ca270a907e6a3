import { describe, expect, it } from 'vitest';
import {
  approvability,
  dnsNeedsApproval,
  EXECUTION_LEASE_SECONDS,
  MAX_EXECUTION_ATTEMPTS,
  planRecovery,
  replanRecovery,
  approvalUnderway,
  resizeNeedsApproval,
  type ApprovalRequest,
} from '../../lambdas/core/approval/approval-rules';

const request = (over: Partial<ApprovalRequest> = {}): ApprovalRequest => ({
  id: 'dns-0a1b2c3d',
  kind: 'dns',
  subject: 'dns#main.example.com',
  action: 'failover',
  target: 'main.example.com',
  status: 'pending',
  requestedAt: '2026-12-02T10:00:00.000Z',
  expiresAt: '2026-12-02T11:00:00.000Z',
  trigger: 'alarm acme-primary-health ALARM',
  reason: 'primary down',
  plan: {},
  checks: [],
  decidedBy: null,
  decidedAt: null,
  result: null,
  execution: null,
  ...over,
});

describe('dnsNeedsApproval: only an unapproved automatic switch in approve mode waits', () => {
  it.each([
    ['auto', 'alarm', false, false],
    ['auto', 'schedule', false, false],
    ['approve', 'alarm', false, true],
    ['approve', 'schedule', false, true],
    ['approve', 'manual', false, false],
    ['approve', 'schedule', true, false],
  ] as const)('mode %s, origin %s, approved %s → %s', (mode, kind, approved, expected) => {
    const origin =
      kind === 'alarm'
        ? { kind, alarmName: 'a', state: 'ALARM' as const, changedAt: '2026-12-02T10:00:00Z' }
        : { kind };
    expect(dnsNeedsApproval({ mode, origin, approved })).toBe(expected);
  });
});

describe('resizeNeedsApproval: the share of the nodes an automatic resize moves', () => {
  const ask = { approveAboveShare: 0.5, members: 4, automatic: true, approvedMoving: null };
  it('moves at most the share: goes ahead; above it: waits, saying by how much', () => {
    expect(resizeNeedsApproval({ ...ask, moving: 2 })).toBeNull();
    expect(resizeNeedsApproval({ ...ask, moving: 3 })).toEqual({
      share: 0.75,
      reason: 'the plan moves 3 of 4 nodes (75%), more than approveAboveShare 50%',
    });
  });
  it('without approveAboveShare, for a person, or with no members: goes ahead', () => {
    expect(resizeNeedsApproval({ ...ask, approveAboveShare: undefined, moving: 4 })).toBeNull();
    expect(resizeNeedsApproval({ ...ask, automatic: false, moving: 4 })).toBeNull();
    expect(resizeNeedsApproval({ ...ask, members: 0, moving: 0 })).toBeNull();
  });
  it('share 0 holds every automatic move; share 1 none', () => {
    expect(resizeNeedsApproval({ ...ask, approveAboveShare: 0, moving: 1 })).not.toBeNull();
    expect(resizeNeedsApproval({ ...ask, approveAboveShare: 1, moving: 4 })).toBeNull();
  });
  it('an approved re-plan goes ahead up to the approved count, and waits again when it grew', () => {
    expect(resizeNeedsApproval({ ...ask, moving: 3, approvedMoving: 3 })).toBeNull();
    expect(resizeNeedsApproval({ ...ask, moving: 4, approvedMoving: 3 })).not.toBeNull();
  });
});

describe('approvability', () => {
  const now = Date.parse('2026-12-02T10:30:00Z');
  it('unknown id: named', () => {
    expect(approvability('dns-nope', null, now)).toEqual({
      kind: 'unknown',
      message: 'no approval request dns-nope (drpilot status lists the pending ones)',
    });
  });
  it('pending before its expiry: approvable; at or after it: expired, naming the time', () => {
    expect(approvability('dns-0a1b2c3d', request(), now).kind).toBe('approvable');
    const expired = approvability('dns-0a1b2c3d', request(), Date.parse('2026-12-02T11:00:00Z'));
    expect(expired).toMatchObject({ kind: 'expired' });
    expect(expired.kind === 'expired' && expired.message).toBe(
      'approval request dns-0a1b2c3d expired at 2026-12-02T11:00:00.000Z: it can no longer be approved (a standing alarm asks again)',
    );
  });
  it('decided (even after its expiry): says who, when and what its re-plan did', () => {
    const decided = request({
      status: 'approved',
      decidedBy: 'alice',
      decidedAt: '2026-12-02T10:10:00.000Z',
      result: { outcome: 'switched', reason: 'main.example.com now points at dr' },
    });
    const answer = approvability('dns-0a1b2c3d', decided, Date.parse('2026-12-03T00:00:00Z'));
    expect(answer.kind === 'decided' && answer.message).toBe(
      'dns-0a1b2c3d was already approved by alice at 2026-12-02T10:10:00.000Z; its re-plan was switched: main.example.com now points at dr: nothing to do',
    );
  });
});

describe('planRecovery: an approved request without a result', () => {
  // Approved at 10:10, attempt 1's lease runs until 10:30; the request could be approved until 11:00.
  const interrupted = (attempt = 1) =>
    request({
      status: 'approved',
      decidedBy: 'alice',
      decidedAt: '2026-12-02T10:10:00.000Z',
      execution: { attempt, leaseUntil: '2026-12-02T10:30:00.000Z' },
    });
  const at = (iso: string) => Date.parse(iso);

  it('is routed to recovery by approvability, whatever the time', () => {
    const judged = approvability('dns-0a1b2c3d', interrupted(), at('2026-12-02T10:20:00Z'));
    expect(judged).toMatchObject({ kind: 'interrupted', recovery: { kind: 'executing' } });
  });
  it('while its lease runs: executing, left alone', () => {
    expect(planRecovery(interrupted(), at('2026-12-02T10:29:59Z'))).toEqual({
      kind: 'executing',
      message:
        'dns-0a1b2c3d was approved by alice at 2026-12-02T10:10:00.000Z and attempt 1 is carrying it out (its lease runs until 2026-12-02T10:30:00.000Z): nothing to do',
    });
  });
  it('past its lease, inside the approval window: the next attempt re-plans it under a new lease', () => {
    const now = at('2026-12-02T10:30:00Z');
    expect(planRecovery(interrupted(), now)).toEqual({
      kind: 'resume',
      attempt: 2,
      leaseUntilMs: now + EXECUTION_LEASE_SECONDS * 1000,
      message:
        'dns-0a1b2c3d was approved by alice at 2026-12-02T10:10:00.000Z but attempt 1 stopped before recording a result (its lease ran out at 2026-12-02T10:30:00.000Z); attempt 2 re-plans it with every check',
    });
  });
  it('past its lease and its approval window: expired with the reason, nothing acted on', () => {
    expect(planRecovery(interrupted(), at('2026-12-02T11:00:00Z'))).toEqual({
      kind: 'expire',
      result: {
        outcome: 'expired',
        reason:
          'dns-0a1b2c3d was approved by alice at 2026-12-02T10:10:00.000Z but attempt 1 stopped before recording a result (its lease ran out at 2026-12-02T10:30:00.000Z); its approval window closed at 2026-12-02T11:00:00.000Z: expired without acting (a standing alarm asks again)',
      },
    });
  });
  it(`after ${MAX_EXECUTION_ATTEMPTS} interrupted attempts: expired, not tried again`, () => {
    const recovery = planRecovery(interrupted(MAX_EXECUTION_ATTEMPTS), at('2026-12-02T10:31:00Z'));
    expect(recovery.kind === 'expire' && recovery.result.reason).toMatch(
      new RegExp(`; ${MAX_EXECUTION_ATTEMPTS} attempts were interrupted: expired without acting`),
    );
    expect(
      planRecovery(interrupted(MAX_EXECUTION_ATTEMPTS - 1), at('2026-12-02T10:31:00Z')),
    ).toMatchObject({
      kind: 'resume',
      attempt: MAX_EXECUTION_ATTEMPTS,
    });
  });
  it('approved before leases were kept: the lease counts from the approval', () => {
    const legacy = { ...interrupted(), execution: null };
    const leaseEnd = at('2026-12-02T10:10:00Z') + EXECUTION_LEASE_SECONDS * 1000;
    expect(planRecovery(legacy, leaseEnd - 1).kind).toBe('executing');
    expect(planRecovery(legacy, leaseEnd)).toMatchObject({ kind: 'resume', attempt: 2 });
  });
  it("a resize past its lease whose rollout still holds the group's lease: executing until that lease ends, also past its window or its attempts", () => {
    const resize = {
      ...interrupted(),
      id: 'resize-0a1b2c3d',
      kind: 'resize' as const,
      subject: 'resize#primary-workers',
      target: 'primary-workers',
    };
    const rollout = {
      holder: 'approval resize-0a1b2c3d by alice#primary-workers-1796238250146',
      expiresAtMs: at('2026-12-02T10:40:00Z'),
    };
    expect(planRecovery(resize, at('2026-12-02T10:35:00Z'), rollout)).toEqual({
      kind: 'executing',
      message:
        'resize-0a1b2c3d was approved by alice at 2026-12-02T10:10:00.000Z; the rollout of attempt 1 still holds the lease of primary-workers until 2026-12-02T10:40:00.000Z: nothing to do (after it, drpilot approve resize-0a1b2c3d resumes or expires it)',
    });
    expect(approvability(resize.id, resize, at('2026-12-02T10:35:00Z'), rollout)).toMatchObject({
      kind: 'interrupted',
      recovery: { kind: 'executing' },
    });
    const closed = { ...resize, expiresAt: '2026-12-02T10:31:00.000Z' };
    expect(planRecovery(closed, at('2026-12-02T10:35:00Z'), rollout).kind).toBe('executing');
    const last = {
      ...resize,
      execution: { ...resize.execution!, attempt: MAX_EXECUTION_ATTEMPTS },
    };
    expect(planRecovery(last, at('2026-12-02T10:35:00Z'), rollout).kind).toBe('executing');
    // The lease over, held by another rollout (a person's resize), or a DNS request: as before.
    expect(planRecovery(resize, rollout.expiresAtMs, rollout)).toMatchObject({ kind: 'resume' });
    const other = { ...rollout, holder: 'cli#primary-workers-1796238250146' };
    expect(planRecovery(resize, at('2026-12-02T10:35:00Z'), other)).toMatchObject({
      kind: 'resume',
    });
    const sameId = { ...rollout, holder: 'approval dns-0a1b2c3d by alice#x' };
    expect(planRecovery(interrupted(), at('2026-12-02T10:35:00Z'), sameId).kind).toBe('resume');
  });
  it('a request with a result is decided, not recovered', () => {
    const done = { ...interrupted(), result: { outcome: 'noop', reason: 'nothing to do' } };
    expect(approvability('dns-0a1b2c3d', done, at('2026-12-02T10:40:00Z')).kind).toBe('decided');
  });
});

describe('replanRecovery: which interrupted DNS approval the every-minute re-plan carries out', () => {
  const SUBJECT = 'dns#main.example.com';
  const approved = (id: string, decidedAt: string, leaseUntil: string, attempt = 1) =>
    request({
      id,
      status: 'approved',
      decidedBy: 'alice',
      decidedAt,
      execution: { attempt, leaseUntil },
    });
  const at = (iso: string) => Date.parse(iso);
  const old = approved('dns-00000001', '2026-12-02T10:05:00.000Z', '2026-12-02T10:25:00.000Z');
  const recent = approved('dns-00000002', '2026-12-02T10:10:00.000Z', '2026-12-02T10:30:00.000Z');

  it('nothing unfinished, or every one still inside its lease: nothing to carry out', () => {
    expect(replanRecovery([], SUBJECT, at('2026-12-02T10:20:00Z'))).toBeNull();
    expect(replanRecovery([old, recent], SUBJECT, at('2026-12-02T10:24:59Z'))).toBeNull();
  });
  it('past its lease: resumed as the next attempt, exactly as planRecovery says', () => {
    const now = at('2026-12-02T10:26:00Z');
    expect(replanRecovery([recent, old], SUBJECT, now)).toEqual({
      request: old,
      recovery: planRecovery(old, now),
    });
    expect(replanRecovery([recent, old], SUBJECT, now)?.recovery).toMatchObject({
      kind: 'resume',
      attempt: 2,
    });
  });
  it('one per tick: the longest-approved of those past their lease', () => {
    expect(replanRecovery([recent, old], SUBJECT, at('2026-12-02T10:31:00Z'))?.request.id).toBe(
      'dns-00000001',
    );
    // The older one still executing (a later attempt took it over): the next one is carried out.
    const retaken = { ...old, execution: { attempt: 2, leaseUntil: '2026-12-02T10:50:00.000Z' } };
    expect(replanRecovery([retaken, recent], SUBJECT, at('2026-12-02T10:31:00Z'))?.request.id).toBe(
      'dns-00000002',
    );
  });
  it('past its approval window or its attempts: expired with the reason', () => {
    expect(replanRecovery([recent], SUBJECT, at('2026-12-02T11:00:00Z'))?.recovery).toMatchObject({
      kind: 'expire',
      result: { outcome: 'expired' },
    });
    const last = approved(
      'dns-00000003',
      '2026-12-02T10:10:00.000Z',
      '2026-12-02T10:30:00.000Z',
      MAX_EXECUTION_ATTEMPTS,
    );
    expect(replanRecovery([last], SUBJECT, at('2026-12-02T10:31:00Z'))?.recovery.kind).toBe(
      'expire',
    );
  });
  it("another subject's, a pending or a finished request is never touched", () => {
    const now = at('2026-12-02T10:40:00Z');
    const resize = { ...old, kind: 'resize' as const, subject: 'resize#primary-workers' };
    const drill = { ...old, subject: 'dns#drill.example.com' };
    const done = { ...old, result: { outcome: 'switched', reason: 'done' } };
    const pending = request({ id: 'dns-00000004' });
    expect(replanRecovery([resize, drill, done, pending], SUBJECT, now)).toBeNull();
  });
  it('approvalUnderway: executing or to be resumed holds back a new request; to be expired, finished or another subject does not', () => {
    const inside = approvalUnderway([old, recent], SUBJECT, at('2026-12-02T10:20:00Z'));
    expect(inside?.request.id).toBe('dns-00000001');
    expect(inside?.message).toContain('attempt 1 is carrying it out');
    const resumable = approvalUnderway([recent], SUBJECT, at('2026-12-02T10:31:00Z'));
    expect(resumable?.request.id).toBe('dns-00000002');
    expect(resumable?.message).toContain('attempt 2 re-plans it with every check');
    expect(resumable?.message).toContain('drpilot approve dns-00000002');
    // Past its approval window: only to be expired, so a standing alarm asks again.
    expect(approvalUnderway([recent], SUBJECT, at('2026-12-02T11:00:00Z'))).toBeNull();
    const done = { ...recent, result: { outcome: 'switched', reason: 'done' } };
    expect(approvalUnderway([done], SUBJECT, at('2026-12-02T10:20:00Z'))).toBeNull();
    expect(
      approvalUnderway([recent], 'dns#drill.example.com', at('2026-12-02T10:20:00Z')),
    ).toBeNull();
    expect(approvalUnderway([request({ id: 'dns-00000004' })], SUBJECT, 0)).toBeNull();
  });
  it('approvalUnderway inside the lease says what planRecovery says: the attempt is carrying it out', () => {
    const inside = approvalUnderway([old, recent], SUBJECT, at('2026-12-02T10:20:00Z'));
    expect(planRecovery(old, at('2026-12-02T10:20:00Z'))).toEqual({
      kind: 'executing',
      message: inside?.message,
    });
  });
});
