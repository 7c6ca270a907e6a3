import { seededHex, seededUid, sortedMap } from './go-encoding';
import { fixtureTime, fixtureVolume, resticRepoIdentifier, validLabelValue } from './fixture-model';
import type { BackupFixture } from './fixture-model';

// Shapes follow the Go structs the backup controller hands to encode.ToJSONGzip()
// (field order = struct order; nil slices encode as null).

/** []*velerov1api.PodVolumeBackup, as collected from the informer (no TypeMeta). */
export function podVolumeBackupsBody(f: BackupFixture): unknown[] | null {
  if (f.counters.podVolumeBackups === 0) return null;
  return Array.from({ length: f.counters.podVolumeBackups }, (_, i) => {
    const v = fixtureVolume(f, 'fs', i);
    const name = `${f.name}-${seededHex(`pvb:${f.name}:${i}`, 3).slice(0, 5)}`;
    const tags: Record<string, string> = {
      backup: f.name,
      'backup-uid': f.uid,
      ns: v.namespace,
      pod: v.podName,
      'pod-uid': v.podUid,
      'pvc-uid': v.pvcUid,
      volume: v.volumeName,
    };
    return {
      metadata: {
        name,
        generateName: `${f.name}-`,
        namespace: 'velero',
        uid: seededUid(`pvb:${name}`),
        resourceVersion: String(200000 + i),
        generation: 2,
        creationTimestamp: fixtureTime(f, 5 + i),
        labels: sortedMap({
          'velero.io/backup-name': validLabelValue(f.name),
          'velero.io/backup-uid': f.uid,
          'velero.io/pvc-uid': v.pvcUid,
        }),
        annotations: { 'velero.io/pvc-name': v.pvcName },
        ownerReferences: [
          {
            apiVersion: 'velero.io/v1',
            kind: 'Backup',
            name: f.name,
            uid: f.uid,
            controller: true,
          },
        ],
      },
      spec: {
        node: v.nodeName,
        pod: { kind: 'Pod', namespace: v.namespace, name: v.podName, uid: v.podUid },
        volume: v.volumeName,
        backupStorageLocation: f.storageLocation,
        repoIdentifier: resticRepoIdentifier(f, v.namespace),
        uploaderType: 'kopia',
        tags: sortedMap(tags),
      },
      status: {
        phase: 'Completed',
        path: `/host_pods/${v.podUid}/volumes/kubernetes.io~csi/${v.pvName}/mount`,
        snapshotID: seededHex(`pvb-snapshot:${name}`, 16),
        startTimestamp: fixtureTime(f, 6 + i),
        completionTimestamp: fixtureTime(f, 30 + i),
        progress: { totalBytes: 1048576 * (i + 1), bytesDone: 1048576 * (i + 1) },
      },
    };
  });
}

/** []*volume.Snapshot (internal/volume/native_snapshot.go). */
export function nativeVolumeSnapshotsBody(f: BackupFixture): unknown[] | null {
  const { volumeSnapshotsAttempted, volumeSnapshotsCompleted } = f.counters;
  if (volumeSnapshotsAttempted === 0) return null;
  return Array.from({ length: volumeSnapshotsAttempted }, (_, i) => {
    const v = fixtureVolume(f, 'ebs', i);
    return {
      spec: {
        backupName: f.name,
        backupUID: f.uid,
        location: 'default',
        persistentVolumeName: v.pvName,
        providerVolumeID: `vol-${seededHex(`vol:${v.pvName}`, 9).slice(0, 17)}`,
        volumeType: 'gp3',
        volumeAZ: `${f.region}a`,
        volumeIOPS: 3000,
      },
      status: {
        providerSnapshotID: `snap-${seededHex(`snap:${f.name}:${i}`, 9).slice(0, 17)}`,
        phase: i < volumeSnapshotsCompleted ? 'Completed' : 'Failed',
      },
    };
  });
}

/** []*itemoperation.BackupOperation; Velero initialises the list, so empty is `[]`. */
export function itemOperationsBody(f: BackupFixture): unknown[] {
  const { backupItemOperationsAttempted, backupItemOperationsCompleted } = f.counters;
  const failed = f.counters.backupItemOperationsFailed;
  return Array.from({ length: backupItemOperationsAttempted }, (_, i) => {
    const v = fixtureVolume(f, 'csi', i);
    const vsName = `velero-${v.pvcName}-${seededHex(`vs:${f.name}:${i}`, 3).slice(0, 5)}`;
    const phase =
      i < backupItemOperationsCompleted
        ? 'Completed'
        : i < backupItemOperationsCompleted + failed
          ? 'Failed'
          : 'InProgress';
    return {
      spec: {
        backupName: f.name,
        backupUID: f.uid,
        backupItemAction: 'velero.io/csi-volumesnapshot-backupper',
        resourceIdentifier: {
          Group: 'snapshot.storage.k8s.io',
          Resource: 'volumesnapshots',
          Namespace: v.namespace,
          Name: vsName,
        },
        operationID: `${v.namespace}/${vsName}/${fixtureTime(f, 10 + i)}`,
        postOperationItems: null,
      },
      status: {
        phase,
        error: phase === 'Failed' ? 'volume snapshot failed' : undefined,
        created: fixtureTime(f, 10 + i),
        started: fixtureTime(f, 10 + i),
        updated: fixtureTime(f, 40 + i),
      },
    };
  });
}

/** map[string]results.Result with "errors" and "warnings", each {velero, cluster, namespaces}. */
export function resultsBody(f: BackupFixture): Record<string, unknown> {
  const entries = (level: string, count: number): Record<string, unknown> =>
    count === 0
      ? {}
      : { velero: Array.from({ length: count }, (_, i) => `${level} ${i + 1} during backup`) };
  return {
    errors: entries('error', f.counters.errors),
    warnings: entries('warning', f.counters.warnings),
  };
}

/** The backup log: gzip of logrus text lines (pkg/util/logging/dual_mode_logger.go). */
export function backupLogBody(f: BackupFixture): string {
  const lines = [
    ['info', 'Setting up backup temp file', 'pkg/controller/backup_controller.go:690'],
    ['info', 'Setting up plugin manager', 'pkg/controller/backup_controller.go:697'],
    ['info', 'Starting to back up items', 'pkg/backup/backup.go:430'],
    ['info', `Backed up a total of ${f.counters.itemsBackedUp} items`, 'pkg/backup/backup.go:682'],
  ];
  return lines
    .map(
      ([level, msg, source]) =>
        `time="${f.startTimestamp}" level=${level} msg="${msg}" backup=velero/${f.name} logSource="${source}"\n`,
    )
    .join('');
}
