/** Backup phases as Velero (pkg/apis/velero/v1/backup_types.go) writes them into velero-backup.json. */
export const VELERO_BACKUP_PHASES = [
  'New',
  'Queued',
  'ReadyToStart',
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

/** Only terminal phases whose tarball is final may be accepted as restorable. */
export const ACCEPTABLE_BACKUP_PHASES = ['Completed', 'PartiallyFailed'] as const;
