/**
 * A generator of the objects Velero writes to a BackupStorageLocation bucket, built from
 * vmware-tanzu/velero v1.12.0 … v1.18.1 and kopia/kopia v0.16.0 (see VELERO-SOURCES.md), so the
 * embedded DR drill and the tests seed realistic Velero buckets.
 */
import { NO_STATUS_COUNTS } from '../../lambdas/core/resync/backup-files';
import { backupJson, defaultBackupUid } from './velero/backup-json';
import type { BackupFixture } from './velero/fixture-model';
import { goGzip, goJsonLine, metav1Time } from './velero/go-encoding';
import type { BucketObject } from './velero/repository';
import {
  backupLogBody,
  itemOperationsBody,
  nativeVolumeSnapshotsBody,
  podVolumeBackupsBody,
  resultsBody,
} from './velero/sidecars';
import { backedUpItems, backupTarball, resourceListBody } from './velero/tarball';
import { BACKUP_FILES_BY_VERSION, backupObjectName } from './velero/versions';
import type {
  BackupCounters,
  BackupFileSuffix,
  BackupPhase,
  VeleroVersion,
} from './velero/versions';
import {
  csiVolumeSnapshotClassesBody,
  csiVolumeSnapshotContentsBody,
  csiVolumeSnapshotsBody,
  volumeInfoBody,
} from './velero/volume-sidecars';

export {
  BACKUP_FILES_BY_VERSION,
  BACKUP_PHASES,
  PHASES_SEEN_IN_BUCKETS,
  VELERO_VERSIONS,
  backupObjectName,
} from './velero/versions';
export type {
  BackupCounters,
  BackupFileRule,
  BackupFileSuffix,
  BackupPhase,
  VeleroVersion,
} from './velero/versions';
export { kopiaRepositoryObjects, resticRepositoryObjects } from './velero/repository';
export type {
  BucketObject,
  KopiaRepositoryOptions,
  ResticRepositoryOptions,
} from './velero/repository';
export { TARBALL_PADDING_PATH } from './velero/tarball';

/**
 * What Velero expects at the root of a BSL's bucket/prefix.
 *
 * - Top-level directories allowed: `backups/`, `restores/`, `restic/`, `metadata/`, `plugins/`,
 *   `kopia/` (pkg/persistence/object_store_layout.go NewObjectStoreLayout, lines 37-44, identical
 *   in v1.12.0 and v1.18.1).
 * - objectBackupStore.IsValid() (object_store.go v1.18.1 l.219-242) lists the common prefixes
 *   under the root with delimiter "/" and fails on any other directory; the BSL controller then
 *   marks the location `Unavailable` (backup_storage_location_controller.go v1.18.1 l.220-256).
 *   Loose objects directly under the root are not common prefixes and do not fail it.
 * - `metadata/revision` is not written by v1.12+ (nothing in pkg/ references it); `metadata/`
 *   merely remains an allowed directory.
 * - `backups/<name>/` holds one backup (see BACKUP_FILES_BY_VERSION); the sync controller lists
 *   backups as common prefixes under `backups/` and imports those whose velero-backup.json
 *   exists (backup_sync_controller.go v1.18.1 l.111, l.151-161), skipping non-expired
 *   WaitingForPluginOperations[PartiallyFailed] and Finalizing[PartiallyFailed] ones (l.167-173). DeleteBackup removes every object
 *   under `backups/<name>/` (object_store.go l.565-582), extra files included.
 * - `restores/<name>/` holds restore-<name>-logs.gz, -results.gz, -resource-list.json.gz,
 *   -itemoperations.json.gz and <name>-volumeinfo.json.gz.
 * - `kopia/<volume-namespace>/` and `restic/<volume-namespace>/` hold the file-system backup and
 *   data mover repositories (pkg/repository/provider/unified_repo.go l.561-564,
 *   pkg/repository/config/config.go getRepoPrefix).
 */
export const VELERO_TOP_LEVEL_DIRS = [
  'backups',
  'restores',
  'restic',
  'metadata',
  'plugins',
  'kopia',
] as const;

/** The layout facts above as helpers (see the comment on VELERO_TOP_LEVEL_DIRS). */
export const veleroBackupStorageLocationLayout = {
  topLevelDirs: VELERO_TOP_LEVEL_DIRS,
  /** Whether IsValid() accepts this common prefix (e.g. 'kopia/') found at the BSL root. */
  isAllowedTopLevelDir(dir: string): boolean {
    return (VELERO_TOP_LEVEL_DIRS as readonly string[]).includes(dir.replace(/\/$/, ''));
  },
  backupDir: (prefix: string, backup: string): string => `${prefix}backups/${backup}/`,
  restoreDir: (prefix: string, restore: string): string => `${prefix}restores/${restore}/`,
  kopiaRepositoryDir: (prefix: string, namespace: string): string => `${prefix}kopia/${namespace}/`,
  resticRepositoryDir: (prefix: string, namespace: string): string =>
    `${prefix}restic/${namespace}/`,
} as const;

export interface VeleroBackupOptions {
  name: string;
  /** '' or 'x/' (the BSL prefix, with its trailing slash). */
  prefix?: string;
  version: VeleroVersion;
  phase: BackupPhase;
  /** Sets the velero.io/schedule-name label. */
  schedule?: string;
  startTimestamp: string;
  /** undefined: derived from the phase; null: absent even for terminal phases. */
  completionTimestamp?: string | null;
  storageLocation?: string;
  includedNamespaces?: string[];
  excludedNamespaces?: string[];
  counters?: Partial<BackupCounters>;
  /** File suffixes (as in BackupFileSuffix, e.g. '-volumesnapshots.json.gz') to leave out. */
  omit?: readonly string[];
  /** Make `<name>.tar.gz` exactly this many bytes (if larger than the natural size). */
  tarballBytes?: number;
  ttlSeconds?: number;
  bucket?: string;
  region?: string;
  kubernetesGitVersion?: string;
  uid?: string;
}

export interface VeleroBackup {
  name: string;
  objects: BucketObject[];
}

const ZERO_COUNTERS: BackupCounters = { ...NO_STATUS_COUNTS, podVolumeBackups: 0 };

function gzJson(value: unknown): Buffer {
  return goGzip(goJsonLine(value));
}

/** One backup's objects under `<prefix>backups/<name>/`, velero-backup.json last. */
export function veleroBackup(options: VeleroBackupOptions): VeleroBackup {
  const prefix = options.prefix ?? '';
  if (prefix !== '' && !prefix.endsWith('/'))
    throw new Error(`prefix must end with '/': ${prefix}`);
  const counters = { ...ZERO_COUNTERS, ...options.counters };
  const includedNamespaces = options.includedNamespaces ?? ['*'];
  const explicit = includedNamespaces.filter((ns) => ns !== '*');
  const fixture: BackupFixture = {
    name: options.name,
    uid: options.uid ?? defaultBackupUid(options.name),
    version: options.version,
    storageLocation: options.storageLocation ?? 'default',
    bucket: options.bucket ?? 'velero-backups',
    prefix,
    region: options.region ?? 'us-east-1',
    startTimestamp: metav1Time(options.startTimestamp),
    counters,
    namespaces: explicit.length > 0 ? explicit : ['default'],
  };
  const items = backedUpItems(fixture);
  const metadata = (): Buffer =>
    Buffer.from(
      backupJson({
        ...fixture,
        phase: options.phase,
        schedule: options.schedule,
        startTimestamp: fixture.startTimestamp,
        completionTimestamp: options.completionTimestamp,
        includedNamespaces,
        excludedNamespaces: options.excludedNamespaces,
        ttlSeconds: options.ttlSeconds ?? 720 * 3600,
        kubernetesGitVersion: options.kubernetesGitVersion ?? 'v1.30.4-eks-a737599',
      }),
    );
  const bodies: Record<BackupFileSuffix, () => Buffer> = {
    'velero-backup.json': metadata,
    '.tar.gz': () => backupTarball(fixture, items, options.tarballBytes),
    '-logs.gz': () => goGzip(backupLogBody(fixture)),
    '-results.gz': () => gzJson(resultsBody(fixture)),
    '-resource-list.json.gz': () => gzJson(resourceListBody(items)),
    '-podvolumebackups.json.gz': () => gzJson(podVolumeBackupsBody(fixture)),
    '-volumesnapshots.json.gz': () => gzJson(nativeVolumeSnapshotsBody(fixture)),
    '-itemoperations.json.gz': () => gzJson(itemOperationsBody(fixture)),
    '-csi-volumesnapshots.json.gz': () => gzJson(csiVolumeSnapshotsBody(fixture)),
    '-csi-volumesnapshotcontents.json.gz': () => gzJson(csiVolumeSnapshotContentsBody(fixture)),
    '-csi-volumesnapshotclasses.json.gz': () => gzJson(csiVolumeSnapshotClassesBody(fixture)),
    '-volumeinfo.json.gz': () => gzJson(volumeInfoBody(fixture)),
  };
  const omitted = new Set<string>(options.omit ?? []);
  const known = new Set<string>(Object.keys(bodies));
  const unknown = [...omitted].filter((suffix) => !known.has(suffix));
  if (unknown.length > 0) throw new Error(`unknown backup file suffixes: ${unknown.join(', ')}`);
  const dir = veleroBackupStorageLocationLayout.backupDir(prefix, options.name);
  const objects = BACKUP_FILES_BY_VERSION[options.version]
    .filter((rule) => !omitted.has(rule.suffix))
    .map((rule) => ({
      key: `${dir}${backupObjectName(options.name, rule.suffix)}`,
      body: bodies[rule.suffix](),
    }))
    .sort(
      (a, b) =>
        Number(a.key.endsWith('/velero-backup.json')) -
        Number(b.key.endsWith('/velero-backup.json')),
    );
  return { name: options.name, objects };
}
