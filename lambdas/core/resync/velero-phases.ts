/**
 * Backup phases as Velero writes them into velero-backup.json (pkg/apis/velero/v1/backup_types.go,
 * v1.12.0 … v1.18.1; see cli/embedded/VELERO-SOURCES.md).
 */
export const VELERO_BACKUP_PHASES = [
  'New',
  'Queued', // added in v1.18.0
  'ReadyToStart', // added in v1.18.0
  'FailedValidation',
  'InProgress',
  'WaitingForPluginOperations',
  'WaitingForPluginOperationsPartiallyFailed',
  'Finalizing',
  'FinalizingPartiallyFailed',
  'Completed',
  'PartiallyFailed',
  'Failed',
  'Deleting',
] as const;

export type VeleroBackupPhase = (typeof VELERO_BACKUP_PHASES)[number];

/** Only terminal phases whose tarball is final may be accepted as restorable. */
export const ACCEPTABLE_BACKUP_PHASES = ['Completed', 'PartiallyFailed'] as const;
