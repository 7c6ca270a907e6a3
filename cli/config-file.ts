import { closeSync, constants, existsSync, openSync, readSync, statSync } from 'node:fs';
import {
  describeFileError,
  fileKindOf,
  loadConfig,
  type ConfigFileSystem,
  type LoadedConfig,
} from '../lambdas/core/config/config-file';

/**
 * The CLI's file system for the config: the read is bounded (never more than the cap plus one
 * byte, whatever stat said) and non-blocking, so a path the user got wrong cannot hang the CLI.
 */
const boundedFileSystem: ConfigFileSystem = {
  exists: existsSync,
  stat(path) {
    try {
      const stats = statSync(path);
      return { kind: fileKindOf(stats), size: stats.size };
    } catch (error) {
      return { error: describeFileError(error) };
    }
  },
  read(path, maxBytes) {
    let fd: number | undefined;
    try {
      fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
      const buffer = Buffer.alloc(maxBytes + 1);
      let length = 0;
      while (length < buffer.length) {
        const read = readSync(fd, buffer, length, buffer.length - length, null);
        if (read === 0) break;
        length += read;
      }
      return { text: buffer.subarray(0, length).toString('utf8') };
    } catch (error) {
      return { error: describeFileError(error) };
    } finally {
      if (fd !== undefined) closeSync(fd);
    }
  },
};

export const loadConfigFile = (
  flag: string | undefined,
  env: NodeJS.ProcessEnv,
  cwd: string,
): LoadedConfig => loadConfig(flag, env, cwd, boundedFileSystem);
