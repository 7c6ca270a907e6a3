import { describe, expect, it } from 'vitest';
import {
  describeEntry,
  historyJobNamed,
  lastActions,
  mergeHistory,
  parseLimit,
  parseSince,
} from '../../lambdas/core/history/audit-history';
import { parseDuration } from '../../lambdas/core/pause/pause-rules';

const entry = (at: string, id: string, fields: Record<string, unknown> = {}) => ({
  at,
  id,
  outcome: 'noop',
  ...fields,
});

describe('audit history', () => {
  const byJob = [
    {
      job: 'dns' as const,
      entries: [entry('2026-12-02T10:00:00.000Z', 'd2'), entry('2026-12-02T08:00:00.000Z', 'd1')],
    },
    { job: 'resync' as const, entries: [entry('2026-12-02T09:00:00.000Z', 'r1')] },
    { job: 'resize' as const, entries: [] },
  ];

  it('merges the jobs newest first, from since on, at most limit', () => {
    const ids = (since?: string, limit = 10) =>
      mergeHistory(byJob, { limit, ...(since ? { since } : {}) }).map((e) => e.id);
    expect(ids()).toEqual(['d2', 'r1', 'd1']);
    expect(ids('2026-12-02T09:00:00.000Z')).toEqual(['d2', 'r1']);
    expect(ids(undefined, 1)).toEqual(['d2']);
  });

  it("keeps each job's newest entry for status", () => {
    const merged = mergeHistory(byJob, { limit: 10 });
    expect(lastActions(merged).map((e) => [e.job, e.id])).toEqual([
      ['dns', 'd2'],
      ['resync', 'r1'],
    ]);
  });

  it('says in one line what each job did', () => {
    const at = '2026-12-02T08:00:00.000Z';
    expect(
      describeEntry(
        'dns',
        entry(at, '1', { action: 'failover', recordName: 'main.example.com', reason: 'moved' }),
      ),
    ).toBe('failover main.example.com: moved');
    expect(
      describeEntry(
        'resize',
        entry(at, '2', { group: 'g', from: ['m6i.large', 'm6i.large'], to: 'm6i.xlarge' }),
      ),
    ).toBe('resize g m6i.large, m6i.large → m6i.xlarge');
    expect(
      describeEntry(
        'dns',
        entry(at, '3', {
          action: 'pause',
          by: 'alice',
          until: '2026-12-02T10:00:00.000Z',
          reasonGiven: 'maintenance',
        }),
      ),
    ).toBe('paused by alice until 2026-12-02T10:00:00.000Z: maintenance');
    expect(
      describeEntry('restore', entry(at, '4', { backup: 'daily-1', reason: 'verified' })),
    ).toBe('restore drill of daily-1: verified');
  });

  it('reads --job, --since and --limit', () => {
    expect(historyJobNamed('restore')).toBe('restore');
    expect(historyJobNamed('toString')).toBeNull();
    const now = Date.parse('2026-12-02T08:00:00Z');
    expect(parseSince('2h', now, parseDuration)).toEqual({
      ok: true,
      since: '2026-12-02T06:00:00.000Z',
    });
    expect(parseSince('2026-12-01T00:00Z', now, parseDuration)).toEqual({
      ok: true,
      since: '2026-12-01T00:00:00.000Z',
    });
    expect(parseSince('yesterday', now, parseDuration).ok).toBe(false);
    expect([
      parseLimit('1'),
      parseLimit('1000'),
      parseLimit('0'),
      parseLimit('1001'),
      parseLimit('5x'),
    ]).toEqual([1, 1000, null, null, null]);
  });
});
