/**
 * drpilot's record of one copied backup, at `backups/<name>/drpilot-manifest.json` on the
 * target: inside the backup's own directory, because a new top-level prefix makes Velero mark
 * the location Unavailable, and Velero's DeleteBackup removes everything under the directory
 * (object_store.go v1.18.1 l.565-582), this file included.
 *
 * Copies re-encrypted with the target's KMS key get new ETags, so "is the target's copy still
 * the source's object?" is answered from here: the source key, size and ETag each object had
 * when it was copied.
 */
import { isKubernetesName } from './bucket-layout';

export const MANIFEST_FILE = 'drpilot-manifest.json';
export const MANIFEST_VERSION = 1;

export interface ManifestEntry {
  /** Full key in the source bucket, prefix included. */
  sourceKey: string;
  size: number;
  /** The source object's ETag, unquoted. */
  etag: string;
}

export interface DrpilotManifest {
  version: typeof MANIFEST_VERSION;
  backup: string;
  /** When the plan that wrote it was made (ISO 8601). */
  copiedAt: string;
  sourceBucket: string;
  /** Keyed by the file's key relative to `backups/<name>/` (e.g. `velero-backup.json`). */
  objects: Record<string, ManifestEntry>;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function entryOf(value: unknown): ManifestEntry | null {
  if (!isObject(value)) return null;
  const { sourceKey, size, etag } = value;
  if (typeof sourceKey !== 'string' || sourceKey === '') return null;
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) return null;
  if (typeof etag !== 'string') return null;
  return { sourceKey, size, etag: etag.replace(/"/g, '') };
}

function safeRelativeKey(key: string): boolean {
  return key.split('/').every((s) => s !== '' && s !== '.' && s !== '..') && key !== MANIFEST_FILE;
}

/**
 * The manifest of `backups/<expectedBackup>/`, or null for anything else: unparseable text,
 * another version, another backup's manifest. Malformed entries are dropped (that object then
 * simply counts as not copied), so garbage can only cause a recopy, never a wrong "up to date".
 */
export function parseManifest(
  text: string | null | undefined,
  expectedBackup: string,
): DrpilotManifest | null {
  if (typeof text !== 'string') return null;
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch {
    return null;
  }
  if (!isObject(document) || document.version !== MANIFEST_VERSION) return null;
  const { backup, copiedAt, sourceBucket, objects } = document;
  if (backup !== expectedBackup || !isKubernetesName(backup)) return null;
  if (typeof copiedAt !== 'string' || Number.isNaN(Date.parse(copiedAt))) return null;
  if (typeof sourceBucket !== 'string' || !isObject(objects)) return null;
  const entries: Record<string, ManifestEntry> = {};
  for (const [key, value] of Object.entries(objects)) {
    const entry = entryOf(value);
    if (entry && safeRelativeKey(key)) entries[key] = entry;
  }
  return { version: MANIFEST_VERSION, backup, copiedAt, sourceBucket, objects: entries };
}

/** The manifest as drpilot writes it: stable key order, so equal manifests are equal bytes. */
export function manifestBody(manifest: DrpilotManifest): string {
  const objects = Object.fromEntries(
    Object.keys(manifest.objects)
      .sort()
      .map((key) => {
        const entry = manifest.objects[key] as ManifestEntry;
        return [key, { sourceKey: entry.sourceKey, size: entry.size, etag: entry.etag }];
      }),
  );
  const ordered = {
    version: manifest.version,
    backup: manifest.backup,
    copiedAt: manifest.copiedAt,
    sourceBucket: manifest.sourceBucket,
    objects,
  };
  return `${JSON.stringify(ordered, null, 2)}\n`;
}

/** Whether two manifests record the same copies (copiedAt aside). */
export function sameManifestContent(a: DrpilotManifest, b: DrpilotManifest): boolean {
  const strip = (m: DrpilotManifest): string => manifestBody({ ...m, copiedAt: '' });
  return strip(a) === strip(b);
}
