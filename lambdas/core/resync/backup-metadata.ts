/**
 * Reading velero-backup.json: the Backup object as persistBackup() and the finalizer encode it
 * (pkg/apis/velero/v1/backup_types.go; see cli/embedded/VELERO-SOURCES.md). Anything a bucket
 * may hold — truncated uploads, foreign objects, hand edits — yields a reason, never a throw.
 */
import type { BackupStatusCounters } from './backup-files';

export const SCHEDULE_NAME_LABEL = 'velero.io/schedule-name';

export interface BackupMetadata {
  name: string;
  /** status.phase as written, or null when absent. */
  phase: string | null;
  labels: Readonly<Record<string, string>>;
  startTimestamp: string | null;
  completionTimestamp: string | null;
  counters: BackupStatusCounters;
}

export type ParsedBackupMetadata =
  { ok: true; metadata: BackupMetadata } | { ok: false; reasons: string[] };

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  return value === undefined ? 'missing' : JSON.stringify(value);
}

/** `omitempty` ints: absent is 0; anything but a non-negative integer is a reason. */
function counter(parent: Json | undefined, field: string, path: string, reasons: string[]): number {
  const value = parent?.[field];
  if (value === undefined || value === null) return 0;
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0) return value;
  reasons.push(`${path} is not a non-negative integer (${describe(value)})`);
  return 0;
}

function timestamp(status: Json, field: string, reasons: string[]): string | null {
  const value = status[field];
  if (value === undefined || value === null) return null;
  if (typeof value === 'string' && !Number.isNaN(Date.parse(value))) return value;
  reasons.push(`status.${field} is not a timestamp (${describe(value)})`);
  return null;
}

function stringLabels(value: unknown): Record<string, string> {
  if (!isObject(value)) return {};
  return Object.fromEntries(
    Object.entries(value).filter(
      (entry): entry is [string, string] => typeof entry[1] === 'string',
    ),
  );
}

function statusCounters(status: Json, reasons: string[]): BackupStatusCounters {
  const progress = isObject(status.progress) ? status.progress : undefined;
  const hooks = isObject(status.hookStatus) ? status.hookStatus : undefined;
  const top = (field: keyof BackupStatusCounters): number =>
    counter(status, field, `status.${field}`, reasons);
  return {
    volumeSnapshotsAttempted: top('volumeSnapshotsAttempted'),
    volumeSnapshotsCompleted: top('volumeSnapshotsCompleted'),
    csiVolumeSnapshotsAttempted: top('csiVolumeSnapshotsAttempted'),
    csiVolumeSnapshotsCompleted: top('csiVolumeSnapshotsCompleted'),
    backupItemOperationsAttempted: top('backupItemOperationsAttempted'),
    backupItemOperationsCompleted: top('backupItemOperationsCompleted'),
    backupItemOperationsFailed: top('backupItemOperationsFailed'),
    itemsBackedUp: counter(progress, 'itemsBackedUp', 'status.progress.itemsBackedUp', reasons),
    totalItems: counter(progress, 'totalItems', 'status.progress.totalItems', reasons),
    warnings: top('warnings'),
    errors: top('errors'),
    hooksAttempted: counter(hooks, 'hooksAttempted', 'status.hookStatus.hooksAttempted', reasons),
    hooksFailed: counter(hooks, 'hooksFailed', 'status.hookStatus.hooksFailed', reasons),
  };
}

function shortError(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.length > 200 ? `${message.slice(0, 200)}…` : message;
}

export function parseBackupMetadata(text: string): ParsedBackupMetadata {
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    return { ok: false, reasons: [`velero-backup.json does not parse: ${shortError(error)}`] };
  }
  if (!isObject(document)) {
    return { ok: false, reasons: ['velero-backup.json is not a JSON object'] };
  }
  const { apiVersion, kind } = document;
  if (apiVersion !== 'velero.io/v1' || kind !== 'Backup') {
    const found =
      apiVersion === 'velero.io/v1'
        ? `kind: ${describe(kind)}`
        : `apiVersion: ${describe(apiVersion)}, kind: ${describe(kind)}`;
    return { ok: false, reasons: [`not a velero.io/v1 Backup (${found.replace(/"/g, '')})`] };
  }
  const metadata = isObject(document.metadata) ? document.metadata : {};
  if (typeof metadata.name !== 'string' || metadata.name === '') {
    return { ok: false, reasons: ['metadata.name is missing'] };
  }
  const reasons: string[] = [];
  const status = isObject(document.status) ? document.status : {};
  const phase = status.phase;
  if (phase !== undefined && typeof phase !== 'string') {
    reasons.push(`status.phase is not a string (${describe(phase)})`);
  }
  const parsed: BackupMetadata = {
    name: metadata.name,
    phase: typeof phase === 'string' ? phase : null,
    labels: stringLabels(metadata.labels),
    startTimestamp: timestamp(status, 'startTimestamp', reasons),
    completionTimestamp: timestamp(status, 'completionTimestamp', reasons),
    counters: statusCounters(status, reasons),
  };
  return reasons.length > 0 ? { ok: false, reasons } : { ok: true, metadata: parsed };
}
