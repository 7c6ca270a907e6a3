const BLOCK = 512;

export interface TarEntry {
  path: string;
  body: Buffer;
  /** Unix seconds. */
  mtime: number;
}

function writeString(header: Buffer, offset: number, length: number, value: string): void {
  const bytes = Buffer.from(value, 'utf8');
  if (bytes.length > length) throw new Error(`tar field too long: ${value}`);
  bytes.copy(header, offset);
}

// Go's archive/tar formats numeric USTAR fields as zero-padded octal followed by a NUL.
function writeOctal(header: Buffer, offset: number, length: number, value: number): void {
  writeString(header, offset, length, `${value.toString(8).padStart(length - 1, '0')}\0`);
}

function splitUstarPath(path: string): { name: string; prefix: string } {
  if (Buffer.byteLength(path) <= 100) return { name: path, prefix: '' };
  for (let i = path.lastIndexOf('/'); i > 0; i = path.lastIndexOf('/', i - 1)) {
    const prefix = path.slice(0, i);
    const name = path.slice(i + 1);
    if (Buffer.byteLength(prefix) <= 155 && Buffer.byteLength(name) <= 100) return { name, prefix };
  }
  throw new Error(`path does not fit a USTAR header: ${path}`);
}

/** A regular-file USTAR header like Go's tar.Writer writes (mode 0755, uid/gid 0, no names). */
function header(entry: TarEntry): Buffer {
  const h = Buffer.alloc(BLOCK);
  const { name, prefix } = splitUstarPath(entry.path);
  writeString(h, 0, 100, name);
  writeOctal(h, 100, 8, 0o755);
  writeOctal(h, 108, 8, 0);
  writeOctal(h, 116, 8, 0);
  writeOctal(h, 124, 12, entry.body.length);
  writeOctal(h, 136, 12, entry.mtime);
  h.fill(' ', 148, 156);
  writeString(h, 156, 1, '0');
  writeString(h, 257, 6, 'ustar\0');
  writeString(h, 263, 2, '00');
  writeOctal(h, 329, 8, 0);
  writeOctal(h, 337, 8, 0);
  writeString(h, 345, 155, prefix);
  let checksum = 0;
  for (const byte of h) checksum += byte;
  writeString(h, 148, 8, `${checksum.toString(8).padStart(6, '0')}\0 `);
  return h;
}

/** A complete archive: entries, each padded to 512 bytes, then two zero blocks. */
export function tarArchive(entries: readonly TarEntry[]): Buffer {
  const parts: Buffer[] = [];
  for (const entry of entries) {
    parts.push(header(entry), entry.body);
    const remainder = entry.body.length % BLOCK;
    if (remainder !== 0) parts.push(Buffer.alloc(BLOCK - remainder));
  }
  parts.push(Buffer.alloc(BLOCK * 2));
  return Buffer.concat(parts);
}
