import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import {
  BACKUP_FILES_BY_VERSION,
  BACKUP_PHASES,
  VELERO_VERSIONS,
  veleroBackup,
} from '../../cli/embedded/velero-layout';
import type {
  BackupCounters,
  VeleroBackupOptions,
  VeleroVersion,
} from '../../cli/embedded/velero-layout';
import type { DrpilotManifest } from '../../lambdas/core/resync/manifest';
import type { ObjectInfo } from '../../lambdas/core/resync/object-info';
import { assessBackup, TARBALL_CLOCK_TOLERANCE_MS } from '../../lambdas/core/resync/restorable';
import type { BackupAssessment } from '../../lambdas/core/resync/restorable';
import {
  ALWAYS_WRITTEN_SUFFIXES,
  VERSION_FILE_SETS,
} from '../../lambdas/core/resync/version-file-sets';
import { md5 } from '../support/velero-bucket-sim';

const NAME = 'daily-20240601020000';
const START = '2024-06-01T02:00:00Z';
const END = '2024-06-01T02:07:31Z';
const WRITTEN = '2024-06-01T02:07:32.000Z';
const THREE_VERSIONS: VeleroVersion[] = ['1.12', '1.16', '1.18'];

const BUSY: BackupCounters = {
  volumeSnapshotsAttempted: 2,
  volumeSnapshotsCompleted: 2,
  csiVolumeSnapshotsAttempted: 3,
  csiVolumeSnapshotsCompleted: 3,
  backupItemOperationsAttempted: 3,
  backupItemOperationsCompleted: 3,
  backupItemOperationsFailed: 0,
  itemsBackedUp: 12,
  totalItems: 12,
  warnings: 1,
  errors: 0,
  hooksAttempted: 1,
  hooksFailed: 0,
  podVolumeBackups: 2,
};

interface Dir {
  files: ObjectInfo[];
  metadataJson: string | null;
}

function dir(overrides: Partial<VeleroBackupOptions> = {}, lastModified = WRITTEN): Dir {
  const backup = veleroBackup({
    name: NAME,
    version: '1.18',
    phase: 'Completed',
    schedule: 'daily',
    startTimestamp: START,
    completionTimestamp: END,
    counters: BUSY,
    ...overrides,
  });
  const json = backup.objects.find((o) => o.key.endsWith('/velero-backup.json'));
  return {
    files: backup.objects.map((o) => ({
      key: o.key,
      size: o.body.length,
      etag: md5(o.body),
      lastModified,
    })),
    metadataJson: json ? json.body.toString('utf8') : null,
  };
}

function assess(d: Dir, acceptPhases: readonly string[] = ['Completed']): BackupAssessment {
  return assessBackup({ name: NAME, files: d.files, metadataJson: d.metadataJson, acceptPhases });
}

function reasonsOf(a: BackupAssessment): string[] {
  return a.restorable ? [] : a.reasons;
}

describe('the file sets the rule derives from the version table', () => {
  it('groups the versions as Velero changed PutBackup: 1.12 | 1.13–1.16 | 1.17 | 1.18', () => {
    expect(VERSION_FILE_SETS.map((s) => s.label)).toEqual([
      'v1.12',
      'v1.13–v1.16',
      'v1.17',
      'v1.18',
    ]);
  });

  it('requires, whatever the version, the json, the tarball and five sidecars (not the log)', () => {
    expect([...ALWAYS_WRITTEN_SUFFIXES].sort()).toEqual(
      [
        'velero-backup.json',
        '.tar.gz',
        '-results.gz',
        '-resource-list.json.gz',
        '-podvolumebackups.json.gz',
        '-volumesnapshots.json.gz',
        '-itemoperations.json.gz',
      ].sort(),
    );
  });

  it('every version set holds the files the counters imply (a CSI snapshot list or volume info)', () => {
    for (const set of VERSION_FILE_SETS) {
      expect(set.required.has('-volumesnapshots.json.gz')).toBe(true);
      expect(set.required.has('-podvolumebackups.json.gz')).toBe(true);
      expect(set.required.has('-itemoperations.json.gz')).toBe(true);
      expect(
        set.required.has('-csi-volumesnapshots.json.gz') || set.required.has('-volumeinfo.json.gz'),
      ).toBe(true);
    }
  });
});

describe('a complete backup of every version is restorable', () => {
  it.each(VELERO_VERSIONS)('v%s, busy and idle counters', (version) => {
    for (const counters of [BUSY, {}]) {
      const result = assess(dir({ version, counters }));
      expect(result).toMatchObject({
        name: NAME,
        restorable: true,
        phase: 'Completed',
        schedule: 'daily',
        completionTimestamp: END,
      });
    }
  });

  it('reports the counters from the status (omitted ones are 0) and the matched file set', () => {
    const result = assess(dir({ version: '1.16' }));
    if (!result.restorable) throw new Error(result.reasons.join('; '));
    expect(result.counters).toMatchObject({
      csiVolumeSnapshotsAttempted: 3,
      backupItemOperationsAttempted: 3,
      hooksAttempted: 1,
      errors: 0,
    });
    expect(result.fileSet).toBe('v1.13–v1.16');
    const idle = assess(dir({ version: '1.12', counters: {} }));
    expect(idle.restorable && idle.counters.volumeSnapshotsAttempted).toBe(0);
  });

  it('a backup made by hand has no schedule', () => {
    expect(assess(dir({ schedule: undefined }))).toMatchObject({
      restorable: true,
      schedule: null,
    });
  });
});

describe('phases', () => {
  for (const version of THREE_VERSIONS) {
    it.each(BACKUP_PHASES)(`v${version}: %s`, (phase) => {
      const d = dir({ version, phase, completionTimestamp: undefined });
      const completedOnly = assess(d, ['Completed']);
      const both = assess(d, ['Completed', 'PartiallyFailed']);
      expect(completedOnly.restorable).toBe(phase === 'Completed');
      expect(both.restorable).toBe(phase === 'Completed' || phase === 'PartiallyFailed');
      if (phase !== 'Completed') {
        expect(reasonsOf(completedOnly)).toContain(
          `phase ${phase} is not accepted (accepted: Completed)`,
        );
      }
    });
  }

  it('PartiallyFailed is accepted only when configured', () => {
    const d = dir({ phase: 'PartiallyFailed' });
    expect(assess(d, ['Completed']).restorable).toBe(false);
    expect(assess(d, ['PartiallyFailed'])).toMatchObject({
      restorable: true,
      phase: 'PartiallyFailed',
    });
  });

  it('acceptPhases can never admit a phase whose tarball is not final', () => {
    for (const phase of [
      'InProgress',
      'Finalizing',
      'Failed',
      'WaitingForPluginOperations',
    ] as const) {
      const result = assess(dir({ phase }), [phase, 'Completed']);
      expect(result.restorable).toBe(false);
      expect(reasonsOf(result)).toContain(`phase ${phase} is not accepted (accepted: Completed)`);
    }
    expect(reasonsOf(assess(dir(), []))).toContain(
      'phase Completed is not accepted (accepted: none)',
    );
  });

  it('an unknown phase is named as such', () => {
    const d = dir();
    d.metadataJson = d.metadataJson!.replace('"phase": "Completed"', '"phase": "Done"');
    expect(reasonsOf(assess(d))).toContain('phase "Done" is not a Velero backup phase');
  });

  it('needs status.completionTimestamp', () => {
    const result = assess(dir({ completionTimestamp: null }));
    expect(reasonsOf(result)).toEqual(['status.completionTimestamp is not set']);
  });
});

describe('every missing file, per version', () => {
  /** Independent of the implementation: the remaining files must be some version's set. */
  function stillAVersionSet(remaining: Set<string>): boolean {
    return VELERO_VERSIONS.some((v) => {
      const set = new Set(
        BACKUP_FILES_BY_VERSION[v].map((r) => r.suffix).filter((s) => s !== '-logs.gz'),
      );
      const rest = new Set([...remaining].filter((s) => s !== '-logs.gz'));
      return set.size === rest.size && [...set].every((s) => rest.has(s));
    });
  }

  for (const version of VELERO_VERSIONS) {
    const suffixes = BACKUP_FILES_BY_VERSION[version].map((r) => r.suffix);
    it.each(suffixes.filter((s) => s !== 'velero-backup.json'))(
      `v${version} without %s`,
      (suffix) => {
        const result = assess(dir({ version, omit: [suffix] }));
        const expected = stillAVersionSet(new Set(suffixes.filter((s) => s !== suffix)));
        expect(result.restorable).toBe(expected);
        if (!expected) {
          expect(reasonsOf(result).join('\n')).toContain(`${NAME}${suffix} is missing`);
        }
      },
    );
  }

  it('the log is best effort: its absence is fine in every version', () => {
    for (const version of VELERO_VERSIONS) {
      expect(assess(dir({ version, omit: ['-logs.gz'] })).restorable).toBe(true);
    }
  });

  it('names the closest version when a version-specific file is missing', () => {
    expect(
      reasonsOf(assess(dir({ version: '1.16', omit: ['-csi-volumesnapshots.json.gz'] }))),
    ).toEqual([
      `${NAME}-csi-volumesnapshots.json.gz is missing (closest Velero file set: v1.13–v1.16)`,
    ]);
    expect(reasonsOf(assess(dir({ version: '1.18', omit: ['-volumeinfo.json.gz'] })))).toEqual([
      `${NAME}-volumeinfo.json.gz is missing (closest Velero file set: v1.18)`,
    ]);
  });

  it('the two losses that look like another version are documented, not detected', () => {
    // v1.17 without the snapshot classes is the v1.18 set; v1.16 without volume info is v1.12's.
    expect(
      assess(dir({ version: '1.17', omit: ['-csi-volumesnapshotclasses.json.gz'] })),
    ).toMatchObject({
      restorable: true,
      fileSet: 'v1.18',
    });
    expect(assess(dir({ version: '1.16', omit: ['-volumeinfo.json.gz'] }))).toMatchObject({
      restorable: true,
      fileSet: 'v1.12',
    });
  });

  it('the tarball and every always-written sidecar, each alone, for 1.12, 1.16 and 1.18', () => {
    for (const version of THREE_VERSIONS) {
      for (const suffix of ALWAYS_WRITTEN_SUFFIXES) {
        if (suffix === 'velero-backup.json') continue;
        expect(reasonsOf(assess(dir({ version, omit: [suffix] })))).toEqual([
          `${NAME}${suffix} is missing`,
        ]);
      }
    }
  });

  it('no velero-backup.json: in the listing or unreadable', () => {
    const without = dir({ omit: ['velero-backup.json'] });
    expect(reasonsOf(assess(without))).toEqual(['velero-backup.json is missing']);
    expect(reasonsOf(assess({ ...dir(), metadataJson: null }))).toEqual([
      'velero-backup.json is missing',
    ]);
  });

  it('reports every problem at once', () => {
    const result = assess(
      dir({ phase: 'InProgress', completionTimestamp: null, omit: ['.tar.gz'] }),
    );
    expect(reasonsOf(result)).toEqual([
      'phase InProgress is not accepted (accepted: Completed)',
      'status.completionTimestamp is not set',
      `${NAME}.tar.gz is missing`,
    ]);
  });

  it('ignores unknown and nested files, and files of another backup', () => {
    const d = dir({ omit: ['-results.gz'] });
    const extra = (key: string): ObjectInfo => ({ key, size: 1, etag: 'x', lastModified: WRITTEN });
    d.files.push(
      extra(`backups/${NAME}/notes.txt`),
      extra(`backups/${NAME}/sub/${NAME}-results.gz`),
      extra(`backups/${NAME}/other-results.gz`),
    );
    expect(reasonsOf(assess(d))).toEqual([`${NAME}-results.gz is missing`]);
  });
});

describe('the tarball of a backup with plugin operations is not older than the json', () => {
  function withTimes(json: string, tarball: string, counters: Partial<BackupCounters> = BUSY): Dir {
    const d = dir({ counters });
    d.files = d.files.map((f) =>
      f.key.endsWith('/velero-backup.json')
        ? { ...f, lastModified: json }
        : f.key.endsWith(`/${NAME}.tar.gz`)
          ? { ...f, lastModified: tarball }
          : f,
    );
    return d;
  }

  it('refuses the window between the finalizer json and the final tarball', () => {
    const result = assess(withTimes('2024-06-01T02:07:32.000Z', '2024-06-01T02:03:10.000Z'));
    expect(reasonsOf(result)).toEqual([
      `${NAME}.tar.gz (2024-06-01T02:03:10.000Z) is older than velero-backup.json (2024-06-01T02:07:32.000Z): after plugin operations the finalizer uploads the final tarball after the json`,
    ]);
  });

  it('accepts a tarball uploaded after the json, or within the clock tolerance', () => {
    expect(
      assess(withTimes('2024-06-01T02:07:32.000Z', '2024-06-01T02:07:33.000Z')).restorable,
    ).toBe(true);
    const json = Date.parse('2024-06-01T02:07:32.000Z');
    const edge = new Date(json - TARBALL_CLOCK_TOLERANCE_MS).toISOString();
    const beyond = new Date(json - TARBALL_CLOCK_TOLERANCE_MS - 1000).toISOString();
    expect(assess(withTimes('2024-06-01T02:07:32.000Z', edge)).restorable).toBe(true);
    expect(assess(withTimes('2024-06-01T02:07:32.000Z', beyond)).restorable).toBe(false);
  });

  it('does not compare when no plugin operations were attempted (no final tarball re-upload)', () => {
    const idle = withTimes('2024-06-01T02:07:32.000Z', '2024-06-01T02:03:10.000Z', {
      ...BUSY,
      backupItemOperationsAttempted: 0,
    });
    expect(assess(idle).restorable).toBe(true);
  });

  it("a drpilot copy's manifest stands for the comparison (drpilot copies the json last)", () => {
    const d = withTimes('2024-06-01T03:00:05.000Z', '2024-06-01T03:00:01.000Z');
    const sizeOf = (suffix: string): number => d.files.find((f) => f.key.endsWith(suffix))!.size;
    const manifest: DrpilotManifest = {
      version: 1,
      backup: NAME,
      copiedAt: '2024-06-01T03:00:00.000Z',
      sourceBucket: 'primary',
      objects: {
        'velero-backup.json': { sourceKey: 'k1', size: sizeOf('/velero-backup.json'), etag: 'a' },
        [`${NAME}.tar.gz`]: { sourceKey: 'k2', size: sizeOf(`/${NAME}.tar.gz`), etag: 'b' },
      },
    };
    const base = {
      name: NAME,
      files: d.files,
      metadataJson: d.metadataJson,
      acceptPhases: ['Completed'],
    };
    expect(assessBackup({ ...base, manifest }).restorable).toBe(true);
    expect(assessBackup({ ...base, manifest: null }).restorable).toBe(false);
    const wrongSize = structuredClone(manifest);
    wrongSize.objects[`${NAME}.tar.gz`]!.size += 1;
    expect(assessBackup({ ...base, manifest: wrongSize }).restorable).toBe(false);
  });
});

describe('corrupt or foreign velero-backup.json gives a reason, never a throw', () => {
  const cases: [string, string, string][] = [
    ['empty', '', 'velero-backup.json does not parse: '],
    [
      'truncated',
      '{"kind": "Backup", "apiVersion": "velero.io/v1", "meta',
      'velero-backup.json does not parse: ',
    ],
    ['null', 'null', 'velero-backup.json is not a JSON object'],
    ['a list', '[]', 'velero-backup.json is not a JSON object'],
    [
      'a Restore',
      '{"kind":"Restore","apiVersion":"velero.io/v1"}',
      'not a velero.io/v1 Backup (kind: Restore)',
    ],
    [
      'a ConfigMap',
      '{"kind":"ConfigMap","apiVersion":"v1"}',
      'not a velero.io/v1 Backup (apiVersion: v1, kind: ConfigMap)',
    ],
    ['no kind', '{"apiVersion":"velero.io/v1"}', 'not a velero.io/v1 Backup (kind: missing)'],
    [
      'no name',
      '{"kind":"Backup","apiVersion":"velero.io/v1","metadata":{}}',
      'metadata.name is missing',
    ],
  ];
  it.each(cases)('%s', (_label, text, reason) => {
    const result = assess({ ...dir(), metadataJson: text });
    expect(result.restorable).toBe(false);
    expect(reasonsOf(result)[0]).toContain(reason);
  });

  it('another backup under this name', () => {
    const d = dir();
    d.metadataJson = d.metadataJson!.replace(`"name": "${NAME}"`, '"name": "weekly-1"');
    expect(reasonsOf(assess(d))).toEqual([
      `metadata.name weekly-1 does not match the directory backups/${NAME}/`,
    ]);
  });

  it('malformed fields', () => {
    const json = JSON.parse(dir().metadataJson!);
    json.status.backupItemOperationsAttempted = 'three';
    json.status.completionTimestamp = 'yesterday';
    expect(reasonsOf(assess({ ...dir(), metadataJson: JSON.stringify(json) }))).toEqual([
      'status.completionTimestamp is not a timestamp ("yesterday")',
      'status.backupItemOperationsAttempted is not a non-negative integer ("three")',
    ]);
  });

  it('arbitrary text and arbitrary JSON never throw', () => {
    const files = dir().files;
    const check = (metadataJson: string): void => {
      const result = assessBackup({ name: NAME, files, metadataJson, acceptPhases: ['Completed'] });
      expect(result.restorable === false ? result.reasons.length : 1).toBeGreaterThan(0);
    };
    fc.assert(fc.property(fc.string(), check), { numRuns: 300 });
    fc.assert(
      fc.property(fc.jsonValue(), (value) => check(JSON.stringify(value) ?? 'null')),
      { numRuns: 300 },
    );
    fc.assert(
      fc.property(
        fc.record({
          kind: fc.constantFrom('Backup', 'Restore'),
          apiVersion: fc.constantFrom('velero.io/v1', 'v1'),
          metadata: fc.oneof(fc.jsonValue(), fc.record({ name: fc.constant(NAME) })),
          status: fc.jsonValue(),
        }),
        (doc) => check(JSON.stringify(doc)),
      ),
      { numRuns: 300 },
    );
  });

  it('a directory name no Kubernetes object can have', () => {
    const result = assessBackup({
      name: 'Bad_Name',
      files: [],
      metadataJson: null,
      acceptPhases: ['Completed'],
    });
    expect(reasonsOf(result)[0]).toContain('is not named like a Kubernetes object');
  });
});
