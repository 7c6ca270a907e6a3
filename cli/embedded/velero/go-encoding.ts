import { createCipheriv, createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';

// Go's encoding/json escapes these even inside strings (escapeHTML defaults to true);
// they can only occur inside JSON strings, so a global replace is safe.
function escapeLikeGo(json: string): string {
  return json
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

/** apimachinery's pretty JSON serializer: MarshalIndent(obj, "", "  "), no trailing newline. */
export function goJsonIndented(value: unknown): string {
  return escapeLikeGo(JSON.stringify(value, null, 2));
}

/** json.NewEncoder(w).Encode(v): compact, one trailing newline. */
export function goJsonLine(value: unknown): string {
  return `${escapeLikeGo(JSON.stringify(value))}\n`;
}

/** Go marshals maps with keys sorted; struct fields keep declaration order. */
export function sortedMap<V>(record: Record<string, V>): Record<string, V> {
  const sorted: Record<string, V> = {};
  for (const key of Object.keys(record).sort()) sorted[key] = record[key] as V;
  return sorted;
}

/** metav1.Time marshals as RFC 3339 in UTC with whole seconds. */
export function metav1Time(iso: string | Date): string {
  const date = typeof iso === 'string' ? new Date(iso) : iso;
  if (Number.isNaN(date.getTime())) throw new Error(`invalid timestamp: ${String(iso)}`);
  return `${date.toISOString().slice(0, 19)}Z`;
}

/** time.Duration.String() for whole seconds, e.g. 720h0m0s, 10m0s, 30s. */
export function goDuration(totalSeconds: number): string {
  if (totalSeconds === 0) return '0s';
  const hours = Math.floor(totalSeconds / 3600);
  const minutes = Math.floor((totalSeconds % 3600) / 60);
  const seconds = totalSeconds % 60;
  if (hours > 0) return `${hours}h${minutes}m${seconds}s`;
  if (minutes > 0) return `${minutes}m${seconds}s`;
  return `${seconds}s`;
}

/**
 * compress/gzip as Velero uses it: default level, no name, zero mtime. Go writes XFL=0 and
 * OS=255 (unknown) in the header; node writes its own OS byte, so set it like Go does.
 */
export function goGzip(data: Buffer | string): Buffer {
  const gz = gzipSync(typeof data === 'string' ? Buffer.from(data) : data);
  gz[8] = 0;
  gz[9] = 0xff;
  return gz;
}

/** Deterministic pseudo-random bytes (AES-256-CTR keystream), so fixtures are reproducible. */
export function seededBytes(seed: string, length: number): Buffer {
  const key = createHash('sha256').update(`key:${seed}`).digest();
  const iv = createHash('sha256').update(`iv:${seed}`).digest().subarray(0, 16);
  return createCipheriv('aes-256-ctr', key, iv).update(Buffer.alloc(length));
}

export function seededHex(seed: string, bytes: number): string {
  return seededBytes(seed, bytes).toString('hex');
}

/** A Kubernetes-style UID (UUID v4 shape) derived from a seed. */
export function seededUid(seed: string): string {
  const b = seededBytes(`uid:${seed}`, 16);
  b[6] = ((b[6] ?? 0) & 0x0f) | 0x40;
  b[8] = ((b[8] ?? 0) & 0x3f) | 0x80;
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
