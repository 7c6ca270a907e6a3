/**
 * Mirroring the `kopia/<ns>/` and `restic/<ns>/` prefixes: which source objects to copy, in
 * which rank (see repository-order.ts), and which target objects no longer exist on the source.
 */
import { placeOf, relativeKey } from './bucket-layout';
import type { RepositoryKind } from './bucket-layout';
import type { ObjectInfo } from './object-info';
import { repositoryRank } from './repository-order';
import { repositoryUnit } from './sync-steps';
import type { CopyStep } from './sync-steps';

export interface RepositoryObject {
  kind: RepositoryKind;
  namespace: string;
  /** Relative to the BSL prefix, e.g. `kopia/shop/p0a1…`: the same on both sides. */
  relKey: string;
  rank: number;
  object: ObjectInfo;
}

/** The repository objects of a listing that drpilot mirrors (restic `locks/` left out). */
export function repositoryObjects(
  listing: readonly ObjectInfo[],
  prefix: string,
): Map<string, RepositoryObject> {
  const found = new Map<string, RepositoryObject>();
  for (const object of listing) {
    const relKey = relativeKey(prefix, object.key);
    const place = relKey === null ? null : placeOf(relKey);
    if (relKey === null || !place || place.area === 'backups') continue;
    const rank = repositoryRank(place.area, place.blob);
    if (rank === 'never') continue;
    found.set(relKey, { kind: place.area, namespace: place.namespace, relKey, rank, object });
  }
  return found;
}

/**
 * A repository object is copied when the target lacks it, has another size, or has a copy
 * older than the source object: kopia.maintenance, kopia.repository, epoch markers and restic's
 * `config` are rewritten in place, and a copy always postdates the object it copied.
 */
export function needsCopy(source: ObjectInfo, target: ObjectInfo | undefined): boolean {
  return (
    !target ||
    target.size !== source.size ||
    Date.parse(source.lastModified) > Date.parse(target.lastModified)
  );
}

export interface RankedCopy {
  rank: number;
  step: CopyStep;
}

export function planRepositoryCopies(
  source: ReadonlyMap<string, RepositoryObject>,
  target: ReadonlyMap<string, RepositoryObject>,
  targetPrefix: string,
): RankedCopy[] {
  return [...source.values()]
    .filter((s) => needsCopy(s.object, target.get(s.relKey)?.object))
    .map((s) => ({
      rank: s.rank,
      step: {
        kind: 'copy',
        unit: repositoryUnit(s.kind, s.namespace),
        role: 'repository-object',
        sourceKey: s.object.key,
        targetKey: `${targetPrefix}${s.relKey}`,
        size: s.object.size,
        etag: s.object.etag.replace(/"/g, ''),
      },
    }));
}
