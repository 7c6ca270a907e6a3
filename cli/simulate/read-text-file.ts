import { closeSync, constants, openSync, readSync, statSync } from 'node:fs';
import { describeFileError, fileKindOf } from '../../lambdas/core/config/config-file';

const CHUNK_BYTES = 1024 * 1024;

/**
 * A user's input file as text, or why not: only a regular file (a directory, a device such as
 * /dev/zero, a FIFO or a socket is refused by name), at most `maxBytes` — the read itself is
 * bounded too, whatever stat said.
 */
export function readTextFile(path: string, maxBytes: number): { text: string } | { error: string } {
  try {
    const stats = statSync(path);
    const kind = fileKindOf(stats);
    if (kind !== 'file') return { error: `${path} is a ${kind}, not a file` };
  } catch (error) {
    return { error: `${path} ${describeFileError(error)}` };
  }
  let fd: number | undefined;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
    const chunks: Buffer[] = [];
    let length = 0;
    for (;;) {
      const chunk = Buffer.alloc(CHUNK_BYTES);
      const read = readSync(fd, chunk, 0, CHUNK_BYTES, null);
      if (read === 0) break;
      chunks.push(chunk.subarray(0, read));
      length += read;
      if (length > maxBytes) {
        return { error: `${path} is larger than ${Math.round(maxBytes / 1024 / 1024)} MiB` };
      }
    }
    return { text: Buffer.concat(chunks).toString('utf8') };
  } catch (error) {
    return { error: `${path} ${describeFileError(error)}` };
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
