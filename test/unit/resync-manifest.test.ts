import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import {
  manifestBody,
  parseManifest,
  sameManifestContent,
} from '../../lambdas/core/resync/manifest';
import type { DrpilotManifest } from '../../lambdas/core/resync/manifest';

const MANIFEST: DrpilotManifest = {
  version: 1,
  backup: 'daily-1',
  copiedAt: '2024-06-01T03:00:00.000Z',
  sourceBucket: 'acme-velero-eu-west-1',
  objects: {
    'velero-backup.json': {
      sourceKey: 'backups/daily-1/velero-backup.json',
      size: 1200,
      etag: 'a1',
    },
    'daily-1.tar.gz': { sourceKey: 'backups/daily-1/daily-1.tar.gz', size: 9000, etag: 'b2-3' },
  },
};

describe('drpilot-manifest.json', () => {
  it('round-trips, with stable bytes', () => {
    const body = manifestBody(MANIFEST);
    expect(parseManifest(body, 'daily-1')).toEqual(MANIFEST);
    const reordered = {
      ...MANIFEST,
      objects: Object.fromEntries(Object.entries(MANIFEST.objects).reverse()),
    };
    expect(manifestBody(reordered)).toBe(body);
    expect(sameManifestContent(MANIFEST, { ...MANIFEST, copiedAt: '2025-01-01T00:00:00Z' })).toBe(
      true,
    );
    expect(sameManifestContent(MANIFEST, { ...MANIFEST, sourceBucket: 'other' })).toBe(false);
  });

  it("is another backup's or another version's: null", () => {
    expect(parseManifest(manifestBody(MANIFEST), 'daily-2')).toBeNull();
    expect(parseManifest(manifestBody({ ...MANIFEST, version: 2 as 1 }), 'daily-1')).toBeNull();
    expect(parseManifest(null, 'daily-1')).toBeNull();
    expect(parseManifest('{"version":1', 'daily-1')).toBeNull();
  });

  it('drops malformed entries (they then count as not copied) and keeps the rest', () => {
    const doc = JSON.parse(manifestBody(MANIFEST));
    doc.objects['daily-1-logs.gz'] = { sourceKey: 'x', size: -1, etag: 'e' };
    doc.objects['../escape'] = { sourceKey: 'x', size: 1, etag: 'e' };
    doc.objects['drpilot-manifest.json'] = { sourceKey: 'x', size: 1, etag: 'e' };
    doc.objects['daily-1-results.gz'] = 'nope';
    expect(Object.keys(parseManifest(JSON.stringify(doc), 'daily-1')!.objects).sort()).toEqual([
      'daily-1.tar.gz',
      'velero-backup.json',
    ]);
  });

  it('strips quotes from ETags', () => {
    const doc = JSON.parse(manifestBody(MANIFEST));
    doc.objects['daily-1.tar.gz'].etag = '"b2-3"';
    expect(parseManifest(JSON.stringify(doc), 'daily-1')!.objects['daily-1.tar.gz']!.etag).toBe(
      'b2-3',
    );
  });

  it('never throws on garbage', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.jsonValue().map((v) => JSON.stringify(v) ?? ''),
        ),
        (text) => {
          const parsed = parseManifest(text, 'daily-1');
          expect(parsed === null || parsed.backup === 'daily-1').toBe(true);
        },
      ),
      { numRuns: 500 },
    );
    fc.assert(
      fc.property(
        fc.record({
          version: fc.constant(1),
          backup: fc.constant('daily-1'),
          copiedAt: fc.constantFrom('2024-06-01T00:00:00Z', 'x'),
          sourceBucket: fc.oneof(fc.string(), fc.integer()),
          objects: fc.dictionary(fc.string(), fc.jsonValue()),
        }),
        (doc) => {
          expect(() => parseManifest(JSON.stringify(doc), 'daily-1')).not.toThrow();
        },
      ),
      { numRuns: 300 },
    );
  });
});
