import { goDuration, goJsonIndented, metav1Time, seededUid, sortedMap } from './go-encoding';
import { validLabelValue } from './fixture-model';
import { versionAtLeast } from './versions';
import type { BackupCounters, BackupPhase, VeleroVersion } from './versions';

export interface BackupJsonInput {
  name: string;
  version: VeleroVersion;
  phase: BackupPhase;
  schedule?: string;
  startTimestamp: string;
  /** undefined: set only for Completed, PartiallyFailed and Failed; null: leave it out. */
  completionTimestamp?: string | null;
  storageLocation: string;
  includedNamespaces: string[];
  excludedNamespaces?: string[];
  volumeSnapshotLocations?: string[];
  ttlSeconds: number;
  counters: BackupCounters;
  kubernetesGitVersion: string;
  uid: string;
}

const TERMINAL_WITH_COMPLETION: readonly BackupPhase[] = ['Completed', 'PartiallyFailed', 'Failed'];
// The finalizer re-reads the Backup from the API server, where hookStatus was patched in
// (pkg/backup/backup.go v1.18.1 l.667-675); the backup controller's own upload lacks it.
const WRITTEN_BY_FINALIZER: readonly BackupPhase[] = ['Completed', 'PartiallyFailed'];

const DEFAULT_VGS_LABEL_KEY = 'velero.io/volume-group';
const CSI_SNAPSHOT_TIMEOUT_SECONDS = 10 * 60;
const ITEM_OPERATION_TIMEOUT_SECONDS = 4 * 3600;
const RESOURCE_TIMEOUT_SECONDS = 10 * 60;

function omitZero(value: number): number | undefined {
  return value === 0 ? undefined : value;
}

function kubernetesVersionParts(gitVersion: string): { major: string; minor: string } {
  const match = /^v?(\d+)\.(\d+)/.exec(gitVersion);
  if (!match?.[1] || !match[2]) throw new Error(`not a Kubernetes git version: ${gitVersion}`);
  return { major: match[1], minor: match[2] };
}

function buildSpec(input: BackupJsonInput): Record<string, unknown> {
  const modern = versionAtLeast(input.version, '1.17');
  return {
    metadata: {},
    includedNamespaces: input.includedNamespaces,
    excludedNamespaces: input.excludedNamespaces?.length ? input.excludedNamespaces : undefined,
    // v1.17+ appends the CSI intermediates when the scoped filters are in use
    // (backup_controller.go v1.18.1 l.72-84, l.541-570).
    excludedClusterScopedResources: modern
      ? ['volumesnapshotcontents.snapshot.storage.k8s.io']
      : undefined,
    excludedNamespaceScopedResources: modern
      ? ['volumesnapshots.snapshot.storage.k8s.io']
      : undefined,
    ttl: goDuration(input.ttlSeconds),
    volumeGroupSnapshotLabelKey: modern ? DEFAULT_VGS_LABEL_KEY : undefined,
    hooks: {},
    storageLocation: input.storageLocation,
    volumeSnapshotLocations: input.volumeSnapshotLocations?.length
      ? input.volumeSnapshotLocations
      : undefined,
    defaultVolumesToFsBackup: false,
    csiSnapshotTimeout: goDuration(CSI_SNAPSHOT_TIMEOUT_SECONDS),
    itemOperationTimeout: goDuration(ITEM_OPERATION_TIMEOUT_SECONDS),
    snapshotMoveData: versionAtLeast(input.version, '1.13') ? false : undefined,
  };
}

function buildStatus(input: BackupJsonInput): Record<string, unknown> {
  const c = input.counters;
  const start = metav1Time(input.startTimestamp);
  const expiration = metav1Time(new Date(Date.parse(start) + input.ttlSeconds * 1000));
  const completion =
    input.completionTimestamp === null
      ? undefined
      : input.completionTimestamp !== undefined
        ? metav1Time(input.completionTimestamp)
        : TERMINAL_WITH_COMPLETION.includes(input.phase)
          ? start
          : undefined;
  const withHookStatus =
    versionAtLeast(input.version, '1.13') && WRITTEN_BY_FINALIZER.includes(input.phase);
  return {
    version: 1,
    formatVersion: '1.1.0',
    expiration,
    phase: input.phase,
    startTimestamp: start,
    completionTimestamp: completion,
    volumeSnapshotsAttempted: omitZero(c.volumeSnapshotsAttempted),
    volumeSnapshotsCompleted: omitZero(c.volumeSnapshotsCompleted),
    warnings: omitZero(c.warnings),
    errors: omitZero(c.errors),
    progress: { totalItems: omitZero(c.totalItems), itemsBackedUp: omitZero(c.itemsBackedUp) },
    csiVolumeSnapshotsAttempted: omitZero(c.csiVolumeSnapshotsAttempted),
    csiVolumeSnapshotsCompleted: omitZero(c.csiVolumeSnapshotsCompleted),
    backupItemOperationsAttempted: omitZero(c.backupItemOperationsAttempted),
    backupItemOperationsCompleted: omitZero(c.backupItemOperationsCompleted),
    backupItemOperationsFailed: omitZero(c.backupItemOperationsFailed),
    hookStatus: withHookStatus
      ? { hooksAttempted: omitZero(c.hooksAttempted), hooksFailed: omitZero(c.hooksFailed) }
      : undefined,
  };
}

/** The Backup object as persistBackup()/the finalizer encode it (TypeMeta first, struct order). */
export function backupObject(input: BackupJsonInput): Record<string, unknown> {
  const labels: Record<string, string> = {
    'velero.io/storage-location': validLabelValue(input.storageLocation),
  };
  if (input.schedule) labels['velero.io/schedule-name'] = input.schedule;
  const { major, minor } = kubernetesVersionParts(input.kubernetesGitVersion);
  const start = metav1Time(input.startTimestamp);
  return {
    kind: 'Backup',
    apiVersion: 'velero.io/v1',
    metadata: {
      name: input.name,
      namespace: 'velero',
      uid: input.uid,
      resourceVersion: String(100000 + ((Date.parse(start) / 1000) % 900000)),
      generation: 1,
      creationTimestamp: start,
      labels: sortedMap(labels),
      annotations: sortedMap({
        'velero.io/resource-timeout': goDuration(RESOURCE_TIMEOUT_SECONDS),
        'velero.io/source-cluster-k8s-gitversion': input.kubernetesGitVersion,
        'velero.io/source-cluster-k8s-major-version': major,
        'velero.io/source-cluster-k8s-minor-version': minor,
      }),
    },
    spec: buildSpec(input),
    status: buildStatus(input),
  };
}

export function backupJson(input: BackupJsonInput): string {
  return goJsonIndented(backupObject(input));
}

export function defaultBackupUid(name: string): string {
  return seededUid(`backup:${name}`);
}
