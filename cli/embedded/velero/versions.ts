/**
 * Which objects Velero writes under `backups/<name>/`, per minor version. The table lives in
 * lambdas/core/resync/backup-files.ts because drpilot's restorable rule is built on it; the
 * generator re-exports it from here (see cli/embedded/VELERO-SOURCES.md for the sources).
 */
export {
  BACKUP_FILES_BY_VERSION,
  VELERO_VERSIONS,
  backupObjectName,
  versionAtLeast,
} from '../../../lambdas/core/resync/backup-files';
export type {
  BackupCounters,
  BackupFileRule,
  BackupFileSuffix,
  VeleroVersion,
} from '../../../lambdas/core/resync/backup-files';

/** pkg/apis/velero/v1/backup_types.go, BackupPhase constants (v1.18.1 lines 292-358). */
export { VELERO_BACKUP_PHASES as BACKUP_PHASES } from '../../../lambdas/core/resync/velero-phases';
import type { VeleroBackupPhase } from '../../../lambdas/core/resync/velero-phases';
export type BackupPhase = VeleroBackupPhase;

/**
 * Phases a bucket's velero-backup.json can carry. The backup controller uploads with
 * WaitingForPluginOperations*, Finalizing* or Failed (backup_controller.go v1.18.1 lines
 * 819-841); the finalizer re-uploads it as Completed/PartiallyFailed with completionTimestamp
 * (backup_finalizer_controller.go v1.18.1 lines 205-226). FailedValidation returns before
 * runBackup(), so nothing is uploaded (backup_controller.go v1.18.1 lines 317-323).
 */
export const PHASES_SEEN_IN_BUCKETS: readonly BackupPhase[] = [
  'WaitingForPluginOperations',
  'WaitingForPluginOperationsPartiallyFailed',
  'Finalizing',
  'FinalizingPartiallyFailed',
  'Completed',
  'PartiallyFailed',
  'Failed',
];
