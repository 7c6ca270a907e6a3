import { seededHex, seededUid } from './go-encoding';
import { fixtureTime, fixtureVolume } from './fixture-model';
import type { BackupFixture, FixtureVolume } from './fixture-model';
import { versionAtLeast } from './versions';

const CSI_DRIVER = 'ebs.csi.aws.com';
const SNAPSHOT_CLASS = 'ebs-csi-snapclass';

interface CsiSnapshot {
  volume: FixtureVolume;
  vsName: string;
  vscName: string;
  snapshotHandle: string;
  ready: boolean;
}

function csiSnapshots(f: BackupFixture): CsiSnapshot[] {
  return Array.from({ length: f.counters.csiVolumeSnapshotsAttempted }, (_, i) => {
    const volume = fixtureVolume(f, 'csi', i);
    return {
      volume,
      vsName: `velero-${volume.pvcName}-${seededHex(`vs:${f.name}:${i}`, 3).slice(0, 5)}`,
      vscName: `snapcontent-${seededUid(`vsc:${f.name}:${i}`)}`,
      snapshotHandle: `snap-${seededHex(`csi-snap:${f.name}:${i}`, 9).slice(0, 17)}`,
      ready: i < f.counters.csiVolumeSnapshotsCompleted,
    };
  });
}

/** []snapshotv1api.VolumeSnapshot (v1.12-v1.16). */
export function csiVolumeSnapshotsBody(f: BackupFixture): unknown[] | null {
  const snapshots = csiSnapshots(f);
  if (snapshots.length === 0) return null;
  return snapshots.map((s, i) => ({
    metadata: {
      name: s.vsName,
      namespace: s.volume.namespace,
      uid: seededUid(`vs-uid:${s.vsName}`),
      resourceVersion: String(300000 + i),
      generation: 1,
      creationTimestamp: fixtureTime(f, 10 + i),
      labels: { 'velero.io/backup-name': f.name },
    },
    spec: {
      source: { persistentVolumeClaimName: s.volume.pvcName },
      volumeSnapshotClassName: SNAPSHOT_CLASS,
    },
    status: {
      boundVolumeSnapshotContentName: s.vscName,
      creationTime: fixtureTime(f, 11 + i),
      readyToUse: s.ready,
      restoreSize: '10Gi',
    },
  }));
}

/** []snapshotv1api.VolumeSnapshotContent (v1.12-v1.16). */
export function csiVolumeSnapshotContentsBody(f: BackupFixture): unknown[] | null {
  const snapshots = csiSnapshots(f);
  if (snapshots.length === 0) return null;
  return snapshots.map((s, i) => ({
    metadata: {
      name: s.vscName,
      uid: seededUid(`vsc-uid:${s.vscName}`),
      resourceVersion: String(310000 + i),
      generation: 1,
      creationTimestamp: fixtureTime(f, 10 + i),
      labels: { 'velero.io/backup-name': f.name },
    },
    spec: {
      volumeSnapshotRef: {
        kind: 'VolumeSnapshot',
        namespace: s.volume.namespace,
        name: s.vsName,
        uid: seededUid(`vs-uid:${s.vsName}`),
        apiVersion: 'snapshot.storage.k8s.io/v1',
      },
      deletionPolicy: 'Retain',
      driver: CSI_DRIVER,
      source: { volumeHandle: `vol-${seededHex(`vol:${s.volume.pvName}`, 9).slice(0, 17)}` },
      volumeSnapshotClassName: SNAPSHOT_CLASS,
    },
    status: {
      creationTime: Date.parse(fixtureTime(f, 11 + i)) * 1_000_000,
      readyToUse: s.ready,
      restoreSize: 10737418240,
      snapshotHandle: s.snapshotHandle,
    },
  }));
}

/** []snapshotv1api.VolumeSnapshotClass referenced by the contents (v1.12-v1.17). */
export function csiVolumeSnapshotClassesBody(f: BackupFixture): unknown[] | null {
  if (f.counters.csiVolumeSnapshotsAttempted === 0) return null;
  return [
    {
      metadata: {
        name: SNAPSHOT_CLASS,
        uid: seededUid(`vsclass:${SNAPSHOT_CLASS}`),
        resourceVersion: '1200',
        generation: 1,
        creationTimestamp: '2024-01-01T00:00:00Z',
        labels: { 'velero.io/csi-volumesnapshot-class': 'true' },
      },
      driver: CSI_DRIVER,
      deletionPolicy: 'Retain',
    },
  ];
}

/** []*volume.BackupVolumeInfo (internal/volume/volumes_information.go), v1.13+. */
export function volumeInfoBody(f: BackupFixture): unknown[] {
  const withResult = versionAtLeast(f.version, '1.15');
  const pvInfo = { reclaimPolicy: 'Delete', labels: null };
  const result = (ok: boolean): string | undefined =>
    withResult ? (ok ? 'succeeded' : 'failed') : undefined;

  const native = Array.from({ length: f.counters.volumeSnapshotsAttempted }, (_, i) => {
    const v = fixtureVolume(f, 'ebs', i);
    const ok = i < f.counters.volumeSnapshotsCompleted;
    return {
      pvcName: v.pvcName,
      pvcNamespace: v.namespace,
      pvName: v.pvName,
      backupMethod: 'NativeSnapshot',
      snapshotDataMoved: false,
      preserveLocalSnapshot: false,
      skipped: false,
      result: result(ok),
      nativeSnapshotInfo: {
        snapshotHandle: `snap-${seededHex(`snap:${f.name}:${i}`, 9).slice(0, 17)}`,
        volumeType: 'gp3',
        volumeAZ: `${f.region}a`,
        iops: '3000',
        Phase: withResult ? (ok ? 'Completed' : 'Failed') : undefined,
      },
      pvInfo,
    };
  });

  const csi = csiSnapshots(f).map((s) => ({
    pvcName: s.volume.pvcName,
    pvcNamespace: s.volume.namespace,
    pvName: s.volume.pvName,
    backupMethod: 'CSISnapshot',
    snapshotDataMoved: false,
    preserveLocalSnapshot: true,
    skipped: false,
    startTimestamp: fixtureTime(f, 11 + s.volume.index),
    result: result(s.ready),
    csiSnapshotInfo: {
      snapshotHandle: s.snapshotHandle,
      size: 10737418240,
      driver: CSI_DRIVER,
      vscName: s.vscName,
      operationID: `${s.volume.namespace}/${s.vsName}/${fixtureTime(f, 10 + s.volume.index)}`,
      ReadyToUse: withResult ? s.ready : undefined,
    },
    pvInfo,
  }));

  const fileSystem = Array.from({ length: f.counters.podVolumeBackups }, (_, i) => {
    const v = fixtureVolume(f, 'fs', i);
    const name = `${f.name}-${seededHex(`pvb:${f.name}:${i}`, 3).slice(0, 5)}`;
    return {
      pvcName: v.pvcName,
      pvcNamespace: v.namespace,
      pvName: v.pvName,
      backupMethod: 'PodVolumeBackup',
      snapshotDataMoved: false,
      preserveLocalSnapshot: false,
      skipped: false,
      startTimestamp: fixtureTime(f, 6 + i),
      completionTimestamp: fixtureTime(f, 30 + i),
      result: result(true),
      pvbInfo: {
        snapshotHandle: seededHex(`pvb-snapshot:${name}`, 16),
        size: 1048576 * (i + 1),
        uploaderType: 'kopia',
        volumeName: v.volumeName,
        podName: v.podName,
        podNamespace: v.namespace,
        nodeName: v.nodeName,
        Phase: withResult ? 'Completed' : undefined,
      },
      pvInfo,
    };
  });

  return [...native, ...csi, ...fileSystem];
}
