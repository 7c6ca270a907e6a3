import { createHash } from 'node:crypto';

import { metav1Time, seededUid } from './go-encoding';
import type { BackupCounters, VeleroVersion } from './versions';

/** Everything the sidecar builders share about one generated backup. */
export interface BackupFixture {
  name: string;
  uid: string;
  version: VeleroVersion;
  storageLocation: string;
  bucket: string;
  prefix: string;
  region: string;
  startTimestamp: string;
  counters: BackupCounters;
  /** Namespaces the generated items live in (`*` expanded). */
  namespaces: string[];
}

/** A volume that was backed up one way or another, with stable names across sidecars. */
export interface FixtureVolume {
  index: number;
  namespace: string;
  podName: string;
  podUid: string;
  volumeName: string;
  pvcName: string;
  pvcUid: string;
  pvName: string;
  nodeName: string;
}

export function fixtureVolume(fixture: BackupFixture, kind: string, index: number): FixtureVolume {
  const namespace = fixture.namespaces[index % fixture.namespaces.length] ?? 'default';
  const seed = `${fixture.name}:${kind}:${index}`;
  const pvcUid = seededUid(`pvc:${seed}`);
  return {
    index,
    namespace,
    podName: `${kind}-app-${index}`,
    podUid: seededUid(`pod:${seed}`),
    volumeName: 'data',
    pvcName: `data-${kind}-app-${index}`,
    pvcUid,
    pvName: `pvc-${pvcUid}`,
    nodeName: `ip-10-0-${index % 250}-${10 + (index % 200)}.ec2.internal`,
  };
}

export function fixtureTime(fixture: BackupFixture, offsetSeconds = 0): string {
  return metav1Time(new Date(Date.parse(fixture.startTimestamp) + offsetSeconds * 1000));
}

/** Velero's label.GetValidName: over 63 chars, keep 57 and add 6 hex chars of its SHA-256. */
export function validLabelValue(value: string): string {
  if (value.length <= 63) return value;
  return `${value.slice(0, 57)}${createHash('sha256').update(value).digest('hex').slice(0, 6)}`;
}

/** The restic-style repo identifier Velero stores on BackupRepository and PodVolumeBackup. */
export function resticRepoIdentifier(fixture: BackupFixture, namespace: string): string {
  const path = [fixture.bucket, fixture.prefix.replace(/\/+$/, ''), 'restic', namespace]
    .filter((part) => part !== '')
    .join('/');
  return `s3:s3-${fixture.region}.amazonaws.com/${path}`;
}
