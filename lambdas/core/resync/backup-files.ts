/**
 * Which objects Velero writes under `backups/<name>/`, per minor version, read from
 * vmware-tanzu/velero at the release tags (see cli/embedded/VELERO-SOURCES.md).
 *
 * Key fact for drpilot's restorable rule: no sidecar is gated by a status counter. The backup
 * controller's persistBackup() encodes every list with encode.ToJSONGzip(), which returns a
 * buffer even for an empty list (it holds `null\n` or `[]\n`), and PutBackup() uploads every
 * non-nil reader. So every persisted backup has the full file set of its version; the counters
 * only say whether a file has *content* that a restore needs. velero-backup.json does not record
 * the Velero version that wrote it.
 */

export const VELERO_VERSIONS = ['1.12', '1.13', '1.14', '1.15', '1.16', '1.17', '1.18'] as const;
export type VeleroVersion = (typeof VELERO_VERSIONS)[number];

/**
 * The counters velero-backup.json's `status` carries (pkg/apis/velero/v1/backup_types.go
 * BackupStatus; `progress.totalItems`/`progress.itemsBackedUp` and `hookStatus.*` flattened).
 * Every one is `omitempty`, so an absent field means 0. They are computed right before the
 * backup is persisted (backup_controller.go v1.18.1 l.778-803), so they say what the sidecars
 * *contain*, not whether they exist.
 */
export interface BackupStatusCounters {
  volumeSnapshotsAttempted: number;
  volumeSnapshotsCompleted: number;
  csiVolumeSnapshotsAttempted: number;
  csiVolumeSnapshotsCompleted: number;
  backupItemOperationsAttempted: number;
  backupItemOperationsCompleted: number;
  backupItemOperationsFailed: number;
  itemsBackedUp: number;
  totalItems: number;
  warnings: number;
  errors: number;
  hooksAttempted: number;
  hooksFailed: number;
}

/** A backup that counted nothing, as Go leaves an unset integer field. */
export const NO_STATUS_COUNTS: Readonly<BackupStatusCounters> = {
  volumeSnapshotsAttempted: 0,
  volumeSnapshotsCompleted: 0,
  csiVolumeSnapshotsAttempted: 0,
  csiVolumeSnapshotsCompleted: 0,
  backupItemOperationsAttempted: 0,
  backupItemOperationsCompleted: 0,
  backupItemOperationsFailed: 0,
  itemsBackedUp: 0,
  totalItems: 0,
  warnings: 0,
  errors: 0,
  hooksAttempted: 0,
  hooksFailed: 0,
};

/** The status counters plus what the fixture generator needs to know about a backup. */
export interface BackupCounters extends BackupStatusCounters {
  /**
   * Not a status field (Velero's BackupStatus has no PodVolumeBackup counter): how many
   * PodVolumeBackups (file-system backups) the backup made. Only the generator knows it.
   */
  podVolumeBackups: number;
}

export type BackupFileSuffix =
  | 'velero-backup.json'
  | '.tar.gz'
  | '-logs.gz'
  | '-results.gz'
  | '-resource-list.json.gz'
  | '-podvolumebackups.json.gz'
  | '-volumesnapshots.json.gz'
  | '-itemoperations.json.gz'
  | '-csi-volumesnapshots.json.gz'
  | '-csi-volumesnapshotcontents.json.gz'
  | '-csi-volumesnapshotclasses.json.gz'
  | '-volumeinfo.json.gz';

export interface BackupFileRule {
  suffix: BackupFileSuffix;
  /** When Velero uploads it. */
  writtenWhen: string;
  /** Uncompressed body Velero writes when there is nothing to record, if it is a JSON list. */
  emptyBody?: string;
  /** Whether a restore (or the DR-side sync) depends on the file's content, given counters. */
  neededForRestore: (counters: BackupCounters) => boolean;
  source: string;
}

const ALWAYS = 'every persisted backup (PutBackup uploads every non-nil reader)';
const always = (): boolean => true;
const never = (): boolean => false;

const METADATA: BackupFileRule = {
  suffix: 'velero-backup.json',
  writtenWhen: `${ALWAYS}; re-uploaded by the finalizer with the terminal phase`,
  neededForRestore: always,
  source:
    'pkg/persistence/object_store_layout.go getBackupMetadataKey (v1.18.1 l.72); object_store.go PutBackup l.275 (hard stop on failure); backup_finalizer_controller.go l.226',
};
const CONTENTS: BackupFileRule = {
  suffix: '.tar.gz',
  writtenWhen: `${ALWAYS}; re-uploaded by the finalizer when async operations existed`,
  neededForRestore: always,
  source:
    'object_store_layout.go getBackupContentsKey (v1.18.1 l.76); object_store.go PutBackup l.280; backup_finalizer_controller.go l.230-233; restore_controller.go l.835',
};
const LOGS: BackupFileRule = {
  suffix: '-logs.gz',
  writtenWhen: `${ALWAYS}; best effort, an upload failure does not fail the backup`,
  neededForRestore: never,
  source:
    'object_store_layout.go getBackupLogKey (v1.18.1 l.80); object_store.go PutBackup l.269-273',
};
const RESULTS: BackupFileRule = {
  suffix: '-results.gz',
  writtenWhen: ALWAYS,
  emptyBody: '{"errors":{},"warnings":{}}\n',
  neededForRestore: never,
  source:
    'object_store_layout.go getBackupResultsKey (v1.18.1 l.128); backup_controller.go persistBackup l.952 (map with "warnings" and "errors")',
};
const RESOURCE_LIST: BackupFileRule = {
  suffix: '-resource-list.json.gz',
  writtenWhen: ALWAYS,
  emptyBody: '{}\n',
  neededForRestore: never,
  source:
    'object_store_layout.go getBackupResourceListKey (v1.18.1 l.96); backup_controller.go persistBackup l.947; pkg/backup/backed_up_items_map.go ResourceMap',
};
const POD_VOLUME_BACKUPS: BackupFileRule = {
  suffix: '-podvolumebackups.json.gz',
  writtenWhen: ALWAYS,
  emptyBody: 'null\n',
  // The DR cluster's sync controller recreates PodVolumeBackup CRs from this file, and the
  // restore lists PVBs from the cluster, so without it file-system backups restore empty.
  neededForRestore: (c) => c.podVolumeBackups > 0,
  source:
    'object_store_layout.go getPodVolumeBackupsKey (v1.18.1 l.84); backup_controller.go persistBackup l.937; backup_sync_controller.go l.207; restore_controller.go l.528-540',
};
const NATIVE_SNAPSHOTS: BackupFileRule = {
  suffix: '-volumesnapshots.json.gz',
  writtenWhen: ALWAYS,
  emptyBody: 'null\n',
  neededForRestore: (c) => c.volumeSnapshotsAttempted > 0,
  source:
    'object_store_layout.go getBackupVolumeSnapshotsKey (v1.18.1 l.88); backup_controller.go persistBackup l.926; restore_controller.go l.542 (missing file = no snapshots)',
};
const ITEM_OPERATIONS: BackupFileRule = {
  suffix: '-itemoperations.json.gz',
  writtenWhen: `${ALWAYS}; rewritten while async operations progress`,
  emptyBody: '[]\n',
  neededForRestore: (c) => c.backupItemOperationsAttempted > 0,
  source:
    'object_store_layout.go getBackupItemOperationsKey (v1.18.1 l.92); backup_controller.go persistBackup l.932; pkg/itemoperationmap/backup_operation_map.go l.158; backup_finalizer_controller.go l.154',
};
const CSI_SNAPSHOTS: BackupFileRule = {
  suffix: '-csi-volumesnapshots.json.gz',
  writtenWhen: `${ALWAYS} (v1.12-v1.16 only)`,
  emptyBody: 'null\n',
  neededForRestore: (c) => c.csiVolumeSnapshotsAttempted > 0,
  source:
    'object_store_layout.go getCSIVolumeSnapshotKey (l.116); object_store.go PutBackup v1.12.0 l.268, v1.16.0 l.276, absent from v1.17.0; restore_controller.go v1.18.1 l.547 still reads it',
};
const CSI_SNAPSHOT_CONTENTS: BackupFileRule = {
  suffix: '-csi-volumesnapshotcontents.json.gz',
  writtenWhen: `${ALWAYS} (v1.12-v1.16 only)`,
  emptyBody: 'null\n',
  neededForRestore: never,
  source:
    'object_store_layout.go getCSIVolumeSnapshotContentsKey (l.120); object_store.go PutBackup v1.12.0 l.269, v1.16.0 l.277, absent from v1.17.0',
};
const CSI_SNAPSHOT_CLASSES: BackupFileRule = {
  suffix: '-csi-volumesnapshotclasses.json.gz',
  writtenWhen: `${ALWAYS} (v1.12-v1.17 only)`,
  emptyBody: 'null\n',
  neededForRestore: never,
  source:
    'object_store_layout.go getCSIVolumeSnapshotClassesKey (l.124); object_store.go PutBackup v1.12.0 l.270, v1.17.0 l.273, absent from v1.18.0 l.287-294',
};
const VOLUME_INFO: BackupFileRule = {
  suffix: '-volumeinfo.json.gz',
  writtenWhen: `${ALWAYS} (from v1.13); rewritten after async operations finish`,
  emptyBody: '[]\n',
  neededForRestore: (c) =>
    c.volumeSnapshotsAttempted + c.csiVolumeSnapshotsAttempted + c.podVolumeBackups > 0,
  source:
    'object_store_layout.go getBackupVolumeInfoKey (v1.18.1 l.132); object_store.go PutBackup v1.13.0 l.276, v1.18.1 l.293; pkg/backup/backup.go l.1323; restore_controller.go l.553',
};

const V1_12: readonly BackupFileRule[] = [
  LOGS,
  METADATA,
  CONTENTS,
  POD_VOLUME_BACKUPS,
  NATIVE_SNAPSHOTS,
  ITEM_OPERATIONS,
  RESOURCE_LIST,
  CSI_SNAPSHOTS,
  CSI_SNAPSHOT_CONTENTS,
  CSI_SNAPSHOT_CLASSES,
  RESULTS,
];
const V1_13_TO_1_16 = [...V1_12, VOLUME_INFO];
const V1_17 = V1_13_TO_1_16.filter((r) => r !== CSI_SNAPSHOTS && r !== CSI_SNAPSHOT_CONTENTS);
const V1_18 = V1_17.filter((r) => r !== CSI_SNAPSHOT_CLASSES);

/** The objects one backup has under `backups/<name>/`, per Velero minor version. */
export const BACKUP_FILES_BY_VERSION: Readonly<Record<VeleroVersion, readonly BackupFileRule[]>> = {
  '1.12': V1_12,
  '1.13': V1_13_TO_1_16,
  '1.14': V1_13_TO_1_16,
  '1.15': V1_13_TO_1_16,
  '1.16': V1_13_TO_1_16,
  '1.17': V1_17,
  '1.18': V1_18,
};

/** The files of one backup named relative to `backups/<name>/`. */
export function backupObjectName(backupName: string, suffix: BackupFileSuffix): string {
  return suffix === 'velero-backup.json' ? suffix : `${backupName}${suffix}`;
}

export function versionAtLeast(version: VeleroVersion, minimum: VeleroVersion): boolean {
  return VELERO_VERSIONS.indexOf(version) >= VELERO_VERSIONS.indexOf(minimum);
}
