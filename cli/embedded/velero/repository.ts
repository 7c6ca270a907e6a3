import { createHash } from 'node:crypto';

import { seededBytes, seededHex } from './go-encoding';

export interface BucketObject {
  key: string;
  body: Buffer;
  contentType?: string;
}

export interface KopiaRepositoryOptions {
  /** BSL prefix: '' or 'x/'. */
  prefix: string;
  /** The volume namespace; Velero names the repository after it (kopia/<namespace>/). */
  namespace: string;
  /** When the repository was written (drives session IDs and log blob names). */
  time: string;
  packs?: number;
  packBytes?: number;
  metadataPacks?: number;
  metadataPackBytes?: number;
  indexBlobs?: number;
  /** Epochs the index has advanced through; > 1 adds `xe<n>` epoch markers. */
  epochs?: number;
  logBlobs?: number;
  /** kopia.maintenance exists once Velero's repository maintenance has run. */
  maintained?: boolean;
  seed?: string;
}

const KOPIA_SESSION_EPOCH_START = Date.UTC(2000, 0, 1);
const KOPIA_SESSION_EPOCH_MS = 30 * 24 * 3600 * 1000;

/** repo/content/sessions.go generateSessionID: "s" + 16 hex random + hex(months since 2000). */
function kopiaSessionId(seed: string, timeMs: number): string {
  const epoch = Math.floor((timeMs - KOPIA_SESSION_EPOCH_START) / KOPIA_SESSION_EPOCH_MS);
  return `s${seededHex(`session:${seed}`, 8)}${epoch.toString(16)}`;
}

function kopiaRepositoryBlob(seed: string): Buffer {
  // repo/format/format_blob.go KopiaRepositoryJSON, written with json.Encoder + SetIndent("", "  ").
  const format = {
    tool: 'https://github.com/kopia/kopia',
    buildVersion: 'v0-unofficial',
    buildInfo: 'unknown',
    uniqueID: seededBytes(`unique:${seed}`, 32).toString('base64'),
    keyAlgo: 'scrypt-65536-8-1',
    encryption: 'AES256_GCM',
    encryptedBlockFormat: seededBytes(`format:${seed}`, 544).toString('base64'),
  };
  return Buffer.from(`${JSON.stringify(format, null, 2)}\n`);
}

/**
 * The blobs of a kopia repository as Velero's unified repository writes them to object
 * storage: flat (no sharding on S3/GCS/Azure) under `<prefix>kopia/<namespace>/`.
 * Blob naming is from kopia/kopia v0.16.0 (Velero's fork), see VELERO-SOURCES.md.
 */
export function kopiaRepositoryObjects(options: KopiaRepositoryOptions): BucketObject[] {
  const seed = options.seed ?? `kopia:${options.prefix}${options.namespace}`;
  const root = `${options.prefix}kopia/${options.namespace}/`;
  const timeMs = Date.parse(options.time);
  const session = kopiaSessionId(seed, timeMs);
  const objects: BucketObject[] = [
    { key: `${root}kopia.repository`, body: kopiaRepositoryBlob(seed) },
    { key: `${root}kopia.blobcfg`, body: seededBytes(`blobcfg:${seed}`, 74) },
  ];
  if (options.maintained ?? true) {
    objects.push({ key: `${root}kopia.maintenance`, body: seededBytes(`maint:${seed}`, 302) });
  }
  const addPacks = (prefix: 'p' | 'q', count: number, bytes: number): void => {
    for (let i = 0; i < count; i++) {
      const id = `${prefix}${seededHex(`${prefix}:${seed}:${i}`, 16)}-${session}`;
      objects.push({ key: `${root}${id}`, body: seededBytes(`${id}:${seed}`, bytes) });
    }
  };
  addPacks('p', options.packs ?? 3, options.packBytes ?? 4096);
  addPacks('q', options.metadataPacks ?? 1, options.metadataPackBytes ?? 2048);

  const epochs = Math.max(1, options.epochs ?? 1);
  const indexBlobs = options.indexBlobs ?? 2;
  for (let i = 0; i < indexBlobs; i++) {
    const epoch = i % epochs;
    const id = `xn${epoch}_${seededHex(`x:${seed}:${i}`, 16)}-${session}-c1`;
    objects.push({ key: `${root}${id}`, body: seededBytes(`${id}:${seed}`, 512) });
  }
  for (let epoch = 1; epoch < epochs; epoch++) {
    objects.push({ key: `${root}xe${epoch}`, body: seededBytes(`xe${epoch}:${seed}`, 64) });
  }

  const startSeconds = Math.floor(timeMs / 1000);
  const localStamp = new Date(timeMs).toISOString().replace(/[-:T]/g, '').slice(0, 14);
  for (let i = 0; i < (options.logBlobs ?? 1); i++) {
    const logger = `_log_${localStamp}_${seededHex(`log:${seed}:${i}`, 2)}`;
    const id = `${logger}_${startSeconds}_${startSeconds + 1}_1_${seededHex(`loghash:${seed}:${i}`, 16)}`;
    objects.push({ key: `${root}${id}`, body: seededBytes(`${id}:${seed}`, 300) });
  }
  return objects;
}

export interface ResticRepositoryOptions {
  prefix: string;
  namespace: string;
  packs?: number;
  packBytes?: number;
  indexFiles?: number;
  snapshots?: number;
  /** restic lock files are transient; include them only to test that copiers skip them. */
  locks?: number;
  seed?: string;
}

/** restic names every file after the SHA-256 of its (encrypted) content. */
function resticFile(name: (id: string) => string, seed: string, bytes: number): BucketObject {
  const body = seededBytes(seed, bytes);
  return { key: name(createHash('sha256').update(body).digest('hex')), body };
}

/**
 * A restic repository in restic's default layout (internal/backend/layout/layout_default.go):
 * `config`, `keys/`, `data/<first 2 hex>/`, `index/`, `snapshots/`, `locks/`, under
 * `<prefix>restic/<namespace>/` (Velero's repoconfig GetRepoIdentifier).
 */
export function resticRepositoryObjects(options: ResticRepositoryOptions): BucketObject[] {
  const seed = options.seed ?? `restic:${options.prefix}${options.namespace}`;
  const root = `${options.prefix}restic/${options.namespace}/`;
  const objects: BucketObject[] = [
    { key: `${root}config`, body: seededBytes(`config:${seed}`, 155) },
    resticFile((id) => `${root}keys/${id}`, `key:${seed}`, 460),
  ];
  for (let i = 0; i < (options.packs ?? 3); i++) {
    objects.push(
      resticFile(
        (id) => `${root}data/${id.slice(0, 2)}/${id}`,
        `data:${seed}:${i}`,
        options.packBytes ?? 4096,
      ),
    );
  }
  for (let i = 0; i < (options.indexFiles ?? 1); i++) {
    objects.push(resticFile((id) => `${root}index/${id}`, `index:${seed}:${i}`, 700));
  }
  for (let i = 0; i < (options.snapshots ?? 1); i++) {
    objects.push(resticFile((id) => `${root}snapshots/${id}`, `snapshot:${seed}:${i}`, 380));
  }
  for (let i = 0; i < (options.locks ?? 0); i++) {
    objects.push(resticFile((id) => `${root}locks/${id}`, `lock:${seed}:${i}`, 200));
  }
  return objects;
}
