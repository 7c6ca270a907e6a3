import { goGzip, seededBytes, seededUid } from './go-encoding';
import type { BackupFixture } from './fixture-model';
import { tarArchive } from './tar';
import type { TarEntry } from './tar';

/** One Kubernetes object inside the backup tarball. */
export interface BackedUpItem {
  /** Group-resource directory name, e.g. `configmaps`, `deployments.apps`. */
  groupResource: string;
  /** The `group/version/Kind` key of -resource-list.json.gz, e.g. `apps/v1/Deployment`. */
  resourceKey: string;
  version: string;
  namespace: string;
  name: string;
}

const NAMESPACED_KINDS = [
  { groupResource: 'configmaps', resourceKey: 'v1/ConfigMap', version: 'v1', base: 'app-config' },
  { groupResource: 'services', resourceKey: 'v1/Service', version: 'v1', base: 'app' },
  {
    groupResource: 'deployments.apps',
    resourceKey: 'apps/v1/Deployment',
    version: 'v1',
    base: 'app',
  },
  {
    groupResource: 'serviceaccounts',
    resourceKey: 'v1/ServiceAccount',
    version: 'v1',
    base: 'app',
  },
  { groupResource: 'pods', resourceKey: 'v1/Pod', version: 'v1', base: 'app-pod' },
] as const;

/** `itemsBackedUp` items: each namespace object first, then namespaced kinds round-robin. */
export function backedUpItems(f: BackupFixture): BackedUpItem[] {
  const items: BackedUpItem[] = [];
  const total = f.counters.itemsBackedUp;
  for (const ns of f.namespaces) {
    if (items.length >= total) break;
    items.push({
      groupResource: 'namespaces',
      resourceKey: 'v1/Namespace',
      version: 'v1',
      namespace: '',
      name: ns,
    });
  }
  for (let i = 0; items.length < total; i++) {
    const kind = NAMESPACED_KINDS[i % NAMESPACED_KINDS.length] ?? NAMESPACED_KINDS[0];
    const namespace =
      f.namespaces[Math.floor(i / NAMESPACED_KINDS.length) % f.namespaces.length] ?? 'default';
    const round = Math.floor(i / (NAMESPACED_KINDS.length * f.namespaces.length));
    const name = round === 0 ? kind.base : `${kind.base}-${round}`;
    items.push({ ...kind, namespace, name });
  }
  return items;
}

/** map[string][]string from BackedUpItems.ResourceMap(): "ns/name" (or "name"), sorted. */
export function resourceListBody(items: readonly BackedUpItem[]): Record<string, string[]> {
  const map: Record<string, string[]> = {};
  for (const item of items) {
    const entry = item.namespace ? `${item.namespace}/${item.name}` : item.name;
    (map[item.resourceKey] ??= []).push(entry);
  }
  const sorted: Record<string, string[]> = {};
  for (const key of Object.keys(map).sort()) sorted[key] = (map[key] ?? []).sort();
  return sorted;
}

// Items are json.Marshal(unstructured map): compact, keys sorted at every level.
function sortKeysDeep(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeysDeep);
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort())
      out[key] = sortKeysDeep((value as Record<string, unknown>)[key]);
    return out;
  }
  return value;
}

function itemJson(item: BackedUpItem): Buffer {
  const slash = item.resourceKey.lastIndexOf('/');
  const object = {
    apiVersion: item.resourceKey.slice(0, slash),
    kind: item.resourceKey.slice(slash + 1),
    metadata: {
      name: item.name,
      ...(item.namespace ? { namespace: item.namespace } : {}),
      uid: seededUid(`item:${item.resourceKey}:${item.namespace}:${item.name}`),
      creationTimestamp: '2024-01-01T00:00:00Z',
      labels: { 'app.kubernetes.io/name': 'app' },
    },
  };
  return Buffer.from(JSON.stringify(sortKeysDeep(object)));
}

// pkg/archive/filesystem.go GetVersionedItemFilePath + item_backupper.go: the preferred
// version is written twice, without a version dir and under `<version>-preferredversion`.
function itemPaths(item: BackedUpItem): string[] {
  const scope = item.namespace ? `namespaces/${item.namespace}` : 'cluster';
  const base = `resources/${item.groupResource}`;
  return [
    `${base}/${scope}/${item.name}.json`,
    `${base}/${item.version}-preferredversion/${scope}/${item.name}.json`,
  ];
}

export const TARBALL_PADDING_PATH = 'metadata/drpilot-padding';
// Go's gzip.Reader reads header strings into a 512-byte buffer, so comments stay shorter.
const MAX_GZIP_COMMENT = 511;

function withGzipComment(gz: Buffer, totalBytes: number): Buffer {
  const commentLength = totalBytes - 1;
  const head = Buffer.from(gz.subarray(0, 10));
  head[3] = (head[3] ?? 0) | 0x10;
  const comment = Buffer.concat([Buffer.alloc(commentLength, 0x20), Buffer.from([0])]);
  return Buffer.concat([head, comment, gz.subarray(10)]);
}

/**
 * The gzipped tar: metadata/version ("1.1.0\n", pkg/backup/backup.go writeBackupVersion)
 * then the items. With `targetBytes`, a random-bytes padding entry plus a short gzip header
 * comment make the object exactly that size (never smaller than the unpadded tarball).
 */
export function backupTarball(
  f: BackupFixture,
  items: readonly BackedUpItem[],
  targetBytes?: number,
): Buffer {
  const mtime = Math.floor(Date.parse(f.startTimestamp) / 1000);
  const entries: TarEntry[] = [{ path: 'metadata/version', body: Buffer.from('1.1.0\n'), mtime }];
  for (const item of items) {
    const body = itemJson(item);
    for (const path of itemPaths(item)) entries.push({ path, body, mtime });
  }
  let gz = goGzip(tarArchive(entries));
  if (targetBytes === undefined || targetBytes <= gz.length) return gz;

  let paddingLength = 0;
  for (let attempt = 0; attempt < 20; attempt++) {
    const gap = targetBytes - gz.length;
    if (gap >= 0 && gap <= MAX_GZIP_COMMENT) return gap === 0 ? gz : withGzipComment(gz, gap);
    paddingLength = Math.max(0, paddingLength + gap - 256);
    const padding = {
      path: TARBALL_PADDING_PATH,
      body: seededBytes(`padding:${f.name}`, paddingLength),
      mtime,
    };
    gz = goGzip(tarArchive([...entries, padding]));
  }
  throw new Error(`could not pad ${f.name}.tar.gz to ${targetBytes} bytes`);
}
