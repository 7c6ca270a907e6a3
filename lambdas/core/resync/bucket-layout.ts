/**
 * Where things live in a Velero BackupStorageLocation, as far as the re-sync is concerned.
 * Velero allows only `backups/`, `restores/`, `restic/`, `metadata/`, `plugins/` and `kopia/`
 * at the root and marks the location Unavailable on any other common prefix
 * (pkg/persistence/object_store_layout.go l.37-44, object_store.go IsValid, v1.18.1 l.219-242),
 * so drpilot writes nowhere but the three areas it mirrors.
 */
import type { ObjectInfo } from './object-info';

export const MIRRORED_AREAS = ['backups', 'kopia', 'restic'] as const;
export type MirroredArea = (typeof MIRRORED_AREAS)[number];
export type RepositoryKind = Exclude<MirroredArea, 'backups'>;

export const BACKUP_METADATA_FILE = 'velero-backup.json';

/** A key relative to the BSL prefix, split into what it belongs to. */
export type KeyPlace =
  | { area: 'backups'; backup: string; file: string }
  | { area: RepositoryKind; namespace: string; blob: string };

/** '' or a prefix ending in '/', as a BSL prefix is used (NewObjectStoreLayout l.32-35). */
export function assertBslPrefix(prefix: string, what: string): void {
  if (prefix === '') return;
  if (!prefix.endsWith('/') || prefix.startsWith('/') || prefix.includes('//')) {
    throw new Error(`${what} must be '' or end with a single '/' (got ${JSON.stringify(prefix)})`);
  }
}

/** The key without the prefix, or null when the key is not under it. */
export function relativeKey(prefix: string, key: string): string | null {
  return key.startsWith(prefix) ? key.slice(prefix.length) : null;
}

function safeSegments(path: string): boolean {
  return path.split('/').every((segment) => segment !== '' && segment !== '.' && segment !== '..');
}

/**
 * `backups/<name>/<file>`, `kopia/<ns>/<blob>` or `restic/<ns>/<path>`; anything else
 * (other areas, loose objects, empty or dot segments) is not ours and is null.
 */
export function placeOf(relKey: string): KeyPlace | null {
  if (!safeSegments(relKey)) return null;
  const [area, owner, ...rest] = relKey.split('/');
  if (owner === undefined || rest.length === 0) return null;
  const tail = rest.join('/');
  if (area === 'backups') return { area, backup: owner, file: tail };
  if (area === 'kopia' || area === 'restic') return { area, namespace: owner, blob: tail };
  return null;
}

export function backupDir(prefix: string, backup: string): string {
  return `${prefix}backups/${backup}/`;
}

export function repositoryDir(prefix: string, kind: RepositoryKind, namespace: string): string {
  return `${prefix}${kind}/${namespace}/`;
}

/** Every object under `<prefix>backups/<name>/`, per backup name (the listing's order kept). */
export function backupDirectories(
  listing: readonly ObjectInfo[],
  prefix: string,
): Map<string, ObjectInfo[]> {
  const dirs = new Map<string, ObjectInfo[]>();
  for (const object of listing) {
    const rel = relativeKey(prefix, object.key);
    const place = rel === null ? null : placeOf(rel);
    if (place?.area !== 'backups') continue;
    const files = dirs.get(place.backup) ?? [];
    files.push(object);
    dirs.set(place.backup, files);
  }
  return dirs;
}

/**
 * The guard every planned write and delete passes: the key must be
 * `<targetPrefix>{backups,kopia,restic}/<owner>/<something>`. A key that escapes is a bug in
 * the planner, so it throws rather than plan it.
 */
export function assertMirroredTargetKey(targetPrefix: string, key: string): void {
  const rel = relativeKey(targetPrefix, key);
  if (rel === null || placeOf(rel) === null) {
    throw new Error(
      `refusing to plan a write or delete outside ${MIRRORED_AREAS.map((a) => `${targetPrefix}${a}/`).join(', ')}: ${JSON.stringify(key)}`,
    );
  }
}

/** Kubernetes object names (DNS-1123 subdomain), which every Velero backup name is. */
export function isKubernetesName(name: string): boolean {
  return (
    name.length <= 253 &&
    /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/.test(name)
  );
}
