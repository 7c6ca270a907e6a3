import { existsSync, readFileSync, statSync } from 'node:fs';
import {
  describeFileError,
  fileKindOf,
  type ConfigFileSystem,
} from '../lambdas/core/config/config-file';

/** The CDK app's file system for the config: stat first (the rules refuse devices and big files), then read. */
export const configFileSystem: ConfigFileSystem = {
  exists: existsSync,
  stat(path) {
    try {
      const stats = statSync(path);
      return { kind: fileKindOf(stats), size: stats.size };
    } catch (error) {
      return { error: describeFileError(error) };
    }
  },
  read(path) {
    try {
      return { text: readFileSync(path, 'utf8') };
    } catch (error) {
      return { error: describeFileError(error) };
    }
  },
};
