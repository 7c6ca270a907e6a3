import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import {
  BACKOFF_BASE_MS,
  BACKOFF_CAP_MS,
  backoffDelayMs,
  classifyChangeError,
  compareAndSwapBatch,
} from '../../lambdas/core/dns/change-batch';

describe('compareAndSwapBatch', () => {
  it('DELETEs the exact current record, then CREATEs the new one with the config TTL', () => {
    expect(
      compareAndSwapBatch({
        recordName: 'main.example.com',
        ttl: 30,
        current: { target: 'Primary.Example.com.', ttl: 60 },
        newTarget: 'dr.example.com',
        comment: 'drpilot failover: primary health alarm went to ALARM',
      }),
    ).toEqual({
      Comment: 'drpilot failover: primary health alarm went to ALARM',
      Changes: [
        {
          Action: 'DELETE',
          ResourceRecordSet: {
            Name: 'main.example.com',
            Type: 'CNAME',
            TTL: 60,
            ResourceRecords: [{ Value: 'Primary.Example.com.' }],
          },
        },
        {
          Action: 'CREATE',
          ResourceRecordSet: {
            Name: 'main.example.com',
            Type: 'CNAME',
            TTL: 30,
            ResourceRecords: [{ Value: 'dr.example.com' }],
          },
        },
      ],
    });
  });

  it('is plain JSON', () => {
    const batch = compareAndSwapBatch({
      recordName: 'Main.Example.com.',
      ttl: 30,
      current: { target: 'a.example.com', ttl: 30 },
      newTarget: 'b.example.com',
      comment: 'x',
    });
    expect(JSON.parse(JSON.stringify(batch))).toEqual(batch);
    expect(batch.Changes.map((c) => c.ResourceRecordSet.Name)).toEqual([
      'main.example.com',
      'main.example.com',
    ]);
  });

  it('is a single CREATE when there is no record (a forced creation)', () => {
    const batch = compareAndSwapBatch({
      recordName: 'main.example.com',
      ttl: 30,
      current: null,
      newTarget: 'dr.example.com',
      comment: 'c',
    });
    expect(batch.Changes).toHaveLength(1);
    expect(batch.Changes[0]?.Action).toBe('CREATE');
  });

  it('keeps the comment within 256 characters', () => {
    const batch = compareAndSwapBatch({
      recordName: 'main.example.com',
      ttl: 30,
      current: null,
      newTarget: 'dr.example.com',
      comment: 'x'.repeat(400),
    });
    expect(batch.Comment).toHaveLength(256);
    expect(batch.Comment.endsWith('...')).toBe(true);
  });

  it('rejects a TTL that is not a whole number of seconds', () => {
    expect(() =>
      compareAndSwapBatch({
        recordName: 'main.example.com',
        ttl: 1.5,
        current: null,
        newTarget: 'dr.example.com',
        comment: '',
      }),
    ).toThrow(RangeError);
  });
});

describe('classifyChangeError', () => {
  it.each([
    [
      'InvalidChangeBatch',
      "[Tried to delete resource record set [name='main.example.com.', type='CNAME'] but it was not found]",
      'conflict',
    ],
    [
      'InvalidChangeBatch',
      "[Tried to delete resource record set [name='main.example.com.', type='CNAME'] but the values provided do not match the current values]",
      'conflict',
    ],
    [
      'InvalidChangeBatch',
      "[Tried to create resource record set [name='main.example.com.', type='CNAME'] but it already exists]",
      'conflict',
    ],
    [
      'InvalidChangeBatch',
      '[RRSet of type CNAME with DNS name main.example.com. is not permitted because a conflicting RRSet of type A with the same DNS name already exists in zone example.com.]',
      'conflict',
    ],
    [
      'InvalidChangeBatch',
      '[RRSet of type CNAME with DNS name example.com. is not permitted at apex in zone example.com.]',
      'fatal',
    ],
    ['Throttling', 'Rate exceeded', 'throttled'],
    ['ThrottlingException', 'Rate exceeded', 'throttled'],
    [
      'PriorRequestNotComplete',
      'The request was rejected because Route 53 was still processing a prior request.',
      'throttled',
    ],
    ['TooManyRequests', '', 'throttled'],
    ['TooManyRequestsException', '', 'throttled'],
    ['NoSuchHostedZone', 'No hosted zone found with ID: Z0', 'fatal'],
    ['AccessDenied', 'not authorized to perform: route53:ChangeResourceRecordSets', 'fatal'],
    ['InvalidInput', 'Invalid request', 'fatal'],
  ] as const)('%s: %s → %s', (name, message, kind) => {
    expect(classifyChangeError(name, message)).toBe(kind);
  });
});

describe('backoffDelayMs', () => {
  it('is full jitter over base · 2^attempt, capped', () => {
    expect(backoffDelayMs(0, 0)).toBe(0);
    expect(backoffDelayMs(0, 0.5)).toBe(BACKOFF_BASE_MS / 2);
    expect(backoffDelayMs(3, 0.5)).toBe((BACKOFF_BASE_MS * 8) / 2);
    expect(backoffDelayMs(50, 0.5)).toBe(BACKOFF_CAP_MS / 2);
    expect(backoffDelayMs(2, 0.999999)).toBe(BACKOFF_BASE_MS * 4 - 1);
  });

  it('stays in [0, min(cap, base · 2^attempt)) for any attempt and random', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -5, max: 1000 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (attempt, r) => {
          const delay = backoffDelayMs(attempt, r);
          const ceiling = Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** Math.max(0, attempt));
          expect(Number.isInteger(delay)).toBe(true);
          expect(delay).toBeGreaterThanOrEqual(0);
          expect(delay).toBeLessThan(ceiling);
        },
      ),
    );
  });
});
