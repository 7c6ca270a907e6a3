/**
 * The order in which a Velero repository's objects may appear on the target. The repository
 * data is encrypted, so which blobs a backup needs cannot be computed: the whole prefix is
 * mirrored, and a reader of the target must never find an index (or a marker, or the format)
 * that points at data not yet copied. Objects are ranked; rank r is copied only after every
 * object of rank < r of the same run has been copied, and deletions run in reverse rank.
 */
import type { RepositoryKind } from './bucket-layout';

export const MAX_REPOSITORY_RANK = 5;

/** `never`: transient objects that are neither copied nor deleted. */
export type RepositoryRank = number | 'never';

/**
 * kopia v0.16.0 blob names (cli/embedded/VELERO-SOURCES.md), stored flat on S3:
 * - 0: data — `p…` data packs, `q…` metadata packs (which hold the snapshot manifests),
 *   `_log_…` diagnostic logs and `s…` session markers; nothing else refers to these.
 * - 1: indexes — epoch index blobs `xn…`, single-epoch and range compactions `xs…`, `xr…`
 *   (internal/epoch/epoch_manager.go l.206-213), and the legacy v0 index `n…`
 *   (repo/content/indexblob/index_blob_manager_v0.go).
 * - 2: markers over the indexes — epoch markers `xe<n>` (readers take the newest as the write
 *   epoch and read compactions below it, so it must follow them), deletion watermarks `xw…`,
 *   v0 compaction logs `m…` and cleanup blobs `l…`.
 * - 3: `kopia.maintenance` (the maintenance schedule; no reader needs it) and unknown names.
 * - 4: `kopia.blobcfg` (read when the repository is opened) and `kopia.repository.backup.*`.
 * - 5: `kopia.repository`, the format blob, last: on a first sync the repository cannot be
 *   opened on the target before all of it is there.
 */
export function kopiaRank(blob: string): RepositoryRank {
  if (blob === 'kopia.repository') return 5;
  if (blob === 'kopia.blobcfg' || blob.startsWith('kopia.repository.backup.')) return 4;
  if (blob === 'kopia.maintenance') return 3;
  if (/^x[nsr]/.test(blob) || blob.startsWith('n')) return 1;
  if (/^x[ew]/.test(blob) || /^[ml]/.test(blob)) return 2;
  if (/^[pqs]/.test(blob) || blob.startsWith('_log_')) return 0;
  return 3;
}

/**
 * restic's default layout (internal/backend/layout/layout_default.go): `config` and `keys/`
 * first (nothing can be decrypted without them), then `data/`, then `index/`, then
 * `snapshots/`; unknown paths after those. `locks/` never: locks are transient, a copied lock
 * would block or confuse the target's restic, and the target's own locks (a restore in the DR
 * cluster takes one) are not drpilot's to delete.
 */
export function resticRank(path: string): RepositoryRank {
  if (path.startsWith('locks/')) return 'never';
  if (path === 'config' || path.startsWith('keys/')) return 0;
  if (path.startsWith('data/')) return 1;
  if (path.startsWith('index/')) return 2;
  if (path.startsWith('snapshots/')) return 3;
  return 4;
}

export function repositoryRank(kind: RepositoryKind, blob: string): RepositoryRank {
  return kind === 'kopia' ? kopiaRank(blob) : resticRank(blob);
}
