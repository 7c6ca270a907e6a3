import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';

import { afterAll, describe, expect, it } from 'vitest';

import {
  BACKUP_FILES_BY_VERSION,
  BACKUP_PHASES,
  TARBALL_PADDING_PATH,
  VELERO_VERSIONS,
  kopiaRepositoryObjects,
  resticRepositoryObjects,
  veleroBackup,
  veleroBackupStorageLocationLayout,
} from '../../cli/embedded/velero-layout';
import type {
  BackupCounters,
  VeleroBackupOptions,
  VeleroVersion,
} from '../../cli/embedded/velero-layout';

const NAME = 'daily-20240601020000';
const START = '2024-06-01T02:00:00Z';
const END = '2024-06-01T02:07:31Z';

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

function backup(overrides: Partial<VeleroBackupOptions> = {}): ReturnType<typeof veleroBackup> {
  return veleroBackup({
    name: NAME,
    version: '1.18',
    phase: 'Completed',
    schedule: 'daily',
    startTimestamp: START,
    completionTimestamp: END,
    includedNamespaces: ['shop', 'payments'],
    counters: BUSY,
    ...overrides,
  });
}

function objectNames(result: ReturnType<typeof veleroBackup>, prefix = ''): string[] {
  return result.objects.map((o) => o.key.slice(`${prefix}backups/${NAME}/`.length)).sort();
}

function body(result: ReturnType<typeof veleroBackup>, suffix: string): Buffer {
  const found = result.objects.find((o) => o.key.endsWith(`/${NAME}${suffix}`));
  if (!found) throw new Error(`no ${suffix}`);
  return found.body;
}

function gunzipJson(result: ReturnType<typeof veleroBackup>, suffix: string): unknown {
  return JSON.parse(gunzipSync(body(result, suffix)).toString('utf8'));
}

function must<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`missing ${what}`);
  return value;
}

interface BackupJson {
  metadata: { labels: Record<string, string> };
  spec: Record<string, unknown>;
  status: Record<string, unknown>;
}

interface PodVolumeBackupJson {
  metadata: { labels: Record<string, string>; ownerReferences: unknown[] };
  spec: unknown;
  status: { phase: string };
}

function metadata(result: ReturnType<typeof veleroBackup>): BackupJson {
  const json = result.objects.find((o) => o.key.endsWith('/velero-backup.json'));
  if (!json) throw new Error('no velero-backup.json');
  return JSON.parse(json.body.toString('utf8'));
}

// From object_store.go PutBackup at each tag (see VELERO-SOURCES.md).
const V1_12_FILES = [
  `${NAME}-csi-volumesnapshotclasses.json.gz`,
  `${NAME}-csi-volumesnapshotcontents.json.gz`,
  `${NAME}-csi-volumesnapshots.json.gz`,
  `${NAME}-itemoperations.json.gz`,
  `${NAME}-logs.gz`,
  `${NAME}-podvolumebackups.json.gz`,
  `${NAME}-resource-list.json.gz`,
  `${NAME}-results.gz`,
  `${NAME}-volumesnapshots.json.gz`,
  `${NAME}.tar.gz`,
  'velero-backup.json',
];
const V1_13_FILES = [...V1_12_FILES, `${NAME}-volumeinfo.json.gz`].sort();
const V1_17_FILES = V1_13_FILES.filter(
  (f) =>
    !f.endsWith('-csi-volumesnapshots.json.gz') &&
    !f.endsWith('-csi-volumesnapshotcontents.json.gz'),
);
const V1_18_FILES = V1_17_FILES.filter((f) => !f.endsWith('-csi-volumesnapshotclasses.json.gz'));
const EXPECTED_FILES: Record<VeleroVersion, string[]> = {
  '1.12': V1_12_FILES,
  '1.13': V1_13_FILES,
  '1.14': V1_13_FILES,
  '1.15': V1_13_FILES,
  '1.16': V1_13_FILES,
  '1.17': V1_17_FILES,
  '1.18': V1_18_FILES,
};

describe('per-version backup file set (object_store.go PutBackup)', () => {
  it.each(VELERO_VERSIONS)(
    'v%s writes the same files whether counters are > 0 or all 0',
    (version) => {
      const busy = objectNames(backup({ version, counters: BUSY }));
      const idle = objectNames(backup({ version, counters: {} }));
      expect(busy).toEqual(EXPECTED_FILES[version]);
      expect(idle).toEqual(EXPECTED_FILES[version]);
    },
  );

  it('covers the versions the brief asks for', () => {
    expect(VELERO_VERSIONS).toEqual(expect.arrayContaining(['1.12', '1.14', '1.16', '1.18']));
  });

  it('every rule cites a source and says when it is written', () => {
    for (const version of VELERO_VERSIONS) {
      for (const rule of BACKUP_FILES_BY_VERSION[version]) {
        expect(rule.source).toMatch(/\.go/);
        expect(rule.writtenWhen).not.toBe('');
      }
    }
  });

  it('ties restore-relevant content to the counters', () => {
    const rule = (suffix: string) =>
      must(
        BACKUP_FILES_BY_VERSION['1.16'].find((r) => r.suffix === suffix),
        suffix,
      );
    const zero = { ...BUSY, volumeSnapshotsAttempted: 0, csiVolumeSnapshotsAttempted: 0 };
    expect(rule('-volumesnapshots.json.gz').neededForRestore(BUSY)).toBe(true);
    expect(rule('-volumesnapshots.json.gz').neededForRestore(zero)).toBe(false);
    expect(rule('-csi-volumesnapshots.json.gz').neededForRestore(zero)).toBe(false);
    expect(rule('.tar.gz').neededForRestore(zero)).toBe(true);
  });

  it('lists velero-backup.json last, the order Velero-aware copiers must keep', () => {
    expect(backup().objects.at(-1)?.key).toBe(`backups/${NAME}/velero-backup.json`);
  });
});

describe('velero-backup.json', () => {
  it('is apimachinery pretty JSON: 2-space indent, TypeMeta first, no trailing newline', () => {
    const text = must(
      backup().objects.find((o) => o.key.endsWith('velero-backup.json')),
      'velero-backup.json',
    ).body.toString('utf8');
    expect(text.startsWith('{\n  "kind": "Backup",\n  "apiVersion": "velero.io/v1",\n')).toBe(true);
    expect(text.endsWith('}')).toBe(true);
    expect(JSON.stringify(JSON.parse(text), null, 2)).toBe(text);
  });

  it('round-trips with the fields Velero sets', () => {
    const json = metadata(backup());
    expect(json).toMatchObject({
      apiVersion: 'velero.io/v1',
      kind: 'Backup',
      metadata: {
        name: NAME,
        namespace: 'velero',
        labels: { 'velero.io/schedule-name': 'daily', 'velero.io/storage-location': 'default' },
        annotations: {
          'velero.io/resource-timeout': '10m0s',
          'velero.io/source-cluster-k8s-major-version': '1',
        },
      },
      spec: {
        includedNamespaces: ['shop', 'payments'],
        ttl: '720h0m0s',
        storageLocation: 'default',
      },
      status: {
        version: 1,
        formatVersion: '1.1.0',
        phase: 'Completed',
        startTimestamp: START,
        completionTimestamp: END,
        expiration: '2024-07-01T02:00:00Z',
        progress: { totalItems: 12, itemsBackedUp: 12 },
        volumeSnapshotsAttempted: 2,
        csiVolumeSnapshotsAttempted: 3,
        backupItemOperationsAttempted: 3,
        hookStatus: { hooksAttempted: 1 },
      },
    });
  });

  it('omits zero counters and empty fields like Go omitempty', () => {
    const json = metadata(backup({ counters: {}, schedule: undefined }));
    expect(json.status).not.toHaveProperty('volumeSnapshotsAttempted');
    expect(json.status).not.toHaveProperty('errors');
    expect(json.status.progress).toEqual({});
    expect(json.metadata.labels).toEqual({ 'velero.io/storage-location': 'default' });
    expect(json.spec).not.toHaveProperty('excludedNamespaces');
    expect(json.spec.hooks).toEqual({});
  });

  it.each(BACKUP_PHASES)('accepts phase %s', (phase) => {
    const json = metadata(backup({ phase, completionTimestamp: undefined }));
    expect(json.status.phase).toBe(phase);
    const terminal = ['Completed', 'PartiallyFailed', 'Failed'].includes(phase);
    expect('completionTimestamp' in json.status).toBe(terminal);
  });

  it('leaves completionTimestamp out when asked, even when Completed', () => {
    expect(metadata(backup({ completionTimestamp: null })).status).not.toHaveProperty(
      'completionTimestamp',
    );
  });

  it('has the v1.17+ spec defaults only from v1.17', () => {
    expect(metadata(backup({ version: '1.18' })).spec.volumeGroupSnapshotLabelKey).toBe(
      'velero.io/volume-group',
    );
    expect(metadata(backup({ version: '1.16' })).spec).not.toHaveProperty(
      'volumeGroupSnapshotLabelKey',
    );
    expect(metadata(backup({ version: '1.12' })).spec).not.toHaveProperty('snapshotMoveData');
    expect(metadata(backup({ version: '1.12' })).status).not.toHaveProperty('hookStatus');
  });

  it('escapes <, > and & like Go encoding/json', () => {
    const json = must(backup({ storageLocation: 'a&b' }).objects.at(-1), 'json').body.toString();
    expect(json).toContain('a\\u0026b');
  });
});

describe('gzipped sidecars', () => {
  const busy = backup({ version: '1.16' });

  it('are real gzip with Go header bytes', () => {
    const gz = body(busy, '-results.gz');
    expect([gz[0], gz[1], gz[9]]).toEqual([0x1f, 0x8b, 0xff]);
  });

  it('resource list maps group/version/Kind to sorted ns/name entries', () => {
    const list = gunzipJson(busy, '-resource-list.json.gz') as Record<string, string[]>;
    expect(list['v1/Namespace']).toEqual(['payments', 'shop']);
    expect(list['apps/v1/Deployment']).toEqual(['payments/app', 'shop/app']);
    const count = Object.values(list).reduce((n, entries) => n + entries.length, 0);
    expect(count).toBe(BUSY.itemsBackedUp);
  });

  it('podvolumebackups is an array of PodVolumeBackup objects', () => {
    const pvbs = gunzipJson(busy, '-podvolumebackups.json.gz') as PodVolumeBackupJson[];
    expect(pvbs).toHaveLength(2);
    const first = must(pvbs[0], 'pvb');
    expect(first.metadata.labels['velero.io/backup-name']).toBe(NAME);
    expect(first.metadata.ownerReferences[0]).toMatchObject({ kind: 'Backup', name: NAME });
    expect(first.spec).toMatchObject({ uploaderType: 'kopia', volume: 'data' });
    expect(first.status.phase).toBe('Completed');
  });

  it('results has errors and warnings', () => {
    expect(gunzipJson(busy, '-results.gz')).toEqual({
      errors: {},
      warnings: { velero: ['warning 1 during backup'] },
    });
  });

  it('volume snapshots, item operations and volume infos follow the counters', () => {
    expect(gunzipJson(busy, '-volumesnapshots.json.gz')).toHaveLength(2);
    const ops = gunzipJson(busy, '-itemoperations.json.gz') as {
      spec: { resourceIdentifier: unknown };
    }[];
    expect(ops).toHaveLength(3);
    expect(must(ops[0], 'operation').spec.resourceIdentifier).toMatchObject({
      Resource: 'volumesnapshots',
    });
    const infos = gunzipJson(busy, '-volumeinfo.json.gz') as { backupMethod: string }[];
    expect(infos.map((i) => i.backupMethod)).toEqual([
      'NativeSnapshot',
      'NativeSnapshot',
      'CSISnapshot',
      'CSISnapshot',
      'CSISnapshot',
      'PodVolumeBackup',
      'PodVolumeBackup',
    ]);
    expect(gunzipJson(busy, '-csi-volumesnapshots.json.gz')).toHaveLength(3);
  });

  it('hold what Velero encodes for empty lists when counters are 0', () => {
    const idle = backup({ version: '1.16', counters: {} });
    for (const rule of BACKUP_FILES_BY_VERSION['1.16']) {
      if (rule.emptyBody === undefined) continue;
      expect(gunzipSync(body(idle, rule.suffix)).toString('utf8'), rule.suffix).toBe(
        rule.emptyBody,
      );
    }
  });

  it('the log is gzipped logrus text', () => {
    expect(gunzipSync(body(busy, '-logs.gz')).toString()).toMatch(/^time="[^"]+" level=info msg=/);
  });
});

describe('tarball', () => {
  const dir = mkdtempSync(join(tmpdir(), 'velero-layout-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  function listTar(gz: Buffer): string[] {
    const file = join(dir, `${Math.random().toString(36).slice(2)}.tar.gz`);
    writeFileSync(file, gz);
    return execFileSync('tar', ['-tzf', file], { encoding: 'utf8' }).trim().split('\n');
  }

  it('is a gzipped tar the system tar lists, with metadata/version and resources', () => {
    const entries = listTar(body(backup(), '.tar.gz'));
    expect(entries[0]).toBe('metadata/version');
    expect(entries).toContain('resources/configmaps/namespaces/shop/app-config.json');
    expect(entries).toContain(
      'resources/configmaps/v1-preferredversion/namespaces/shop/app-config.json',
    );
    expect(entries).toContain('resources/namespaces/cluster/shop.json');
  });

  it('metadata/version holds the format version', () => {
    const file = join(dir, 'version-check.tar.gz');
    writeFileSync(file, body(backup(), '.tar.gz'));
    expect(execFileSync('tar', ['-xzOf', file, 'metadata/version'], { encoding: 'utf8' })).toBe(
      '1.1.0\n',
    );
  });

  it.each([3000, 70_000, 1_000_000])('pads to exactly %i bytes and stays a valid tar', (size) => {
    const gz = body(backup({ tarballBytes: size }), '.tar.gz');
    expect(gz.length).toBe(size);
    const entries = listTar(gz);
    expect(entries).toContain('metadata/version');
    expect(gunzipSync(gz).length % 512).toBe(0);
    if (size > 5000) expect(entries).toContain(TARBALL_PADDING_PATH);
  });
});

describe('omit and prefix', () => {
  it('omit leaves files out to make broken backups', () => {
    const names = objectNames(backup({ omit: ['.tar.gz', '-volumesnapshots.json.gz'] }));
    expect(names).not.toContain(`${NAME}.tar.gz`);
    expect(names).not.toContain(`${NAME}-volumesnapshots.json.gz`);
    expect(names).toContain('velero-backup.json');
  });

  it('rejects an unknown suffix instead of silently keeping the file', () => {
    expect(() => backup({ omit: ['-volumesnapshot.json.gz'] })).toThrow(/unknown/);
  });

  it('applies the BSL prefix to every key', () => {
    const result = backup({ prefix: 'x/' });
    expect(result.objects.every((o) => o.key.startsWith(`x/backups/${NAME}/`))).toBe(true);
    expect(objectNames(result, 'x/')).toEqual(V1_18_FILES);
  });

  it('rejects a prefix without its trailing slash', () => {
    expect(() => backup({ prefix: 'x' })).toThrow(/prefix/);
  });
});

describe('repositories', () => {
  it('kopia blobs use kopia prefixes under kopia/<namespace>/', () => {
    const objects = kopiaRepositoryObjects({
      prefix: 'x/',
      namespace: 'shop',
      time: START,
      epochs: 3,
      indexBlobs: 3,
    });
    const names = objects.map((o) => o.key.replace('x/kopia/shop/', ''));
    expect(objects.every((o) => o.key.startsWith('x/kopia/shop/'))).toBe(true);
    expect(names).toEqual(
      expect.arrayContaining(['kopia.repository', 'kopia.blobcfg', 'xe1', 'xe2']),
    );
    const session = /^s[0-9a-f]{16}[0-9a-f]+$/;
    for (const name of names.filter((n) => /^[pq]/.test(n))) {
      const [id, sid] = name.split('-');
      expect(id).toMatch(/^[pq][0-9a-f]{32}$/);
      expect(sid).toMatch(session);
    }
    expect(names.filter((n) => /^xn[0-2]_[0-9a-f]{32}-s[0-9a-f]+-c1$/.test(n))).toHaveLength(3);
    expect(names.some((n) => /^_log_\d{14}_[0-9a-f]{4}_\d+_\d+_1_[0-9a-f]{32}$/.test(n))).toBe(
      true,
    );
    const format: unknown = JSON.parse(must(objects[0], 'format blob').body.toString());
    expect(format).toMatchObject({
      tool: 'https://github.com/kopia/kopia',
      encryption: 'AES256_GCM',
    });
  });

  it('restic files sit in the default layout under restic/<namespace>/', () => {
    const objects = resticRepositoryObjects({ prefix: '', namespace: 'shop', locks: 1 });
    const names = objects.map((o) => o.key.replace('restic/shop/', ''));
    expect(names[0]).toBe('config');
    for (const name of names.slice(1)) {
      expect(name).toMatch(/^(keys|index|snapshots|locks|data\/[0-9a-f]{2})\/[0-9a-f]{64}$/);
    }
    const data = must(
      names.find((n) => n.startsWith('data/')),
      'data file',
    );
    expect(data.slice(5, 7)).toBe(data.slice(8, 10));
  });

  it('BSL layout: only Velero directories keep a location Available', () => {
    for (const dir of ['backups/', 'restores/', 'kopia/', 'restic/', 'metadata/', 'plugins/']) {
      expect(veleroBackupStorageLocationLayout.isAllowedTopLevelDir(dir)).toBe(true);
    }
    expect(veleroBackupStorageLocationLayout.isAllowedTopLevelDir('drpilot/')).toBe(false);
    expect(veleroBackupStorageLocationLayout.backupDir('x/', NAME)).toBe(`x/backups/${NAME}/`);
  });
});
