import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export interface VeleroBinaries {
  /** The `velero` binary (server and CLI in one), an absolute path. */
  velero: string;
  /** A directory holding only the external plugins (velero-plugin-for-aws). */
  pluginDir: string;
}

const setupScript = fileURLToPath(new URL('../../scripts/setup-velero-server.sh', import.meta.url));

/** Velero is not set up and `build: false` forbade building it. */
export class VeleroNotSetUpError extends Error {
  override readonly name = 'VeleroNotSetUpError';
}

/**
 * Where Velero and its AWS plugin are, from `scripts/setup-velero-server.sh` (the cache, the
 * shared tarball, or — with `build` — a build from the Go module proxy). The script's progress
 * goes to this process's stderr unless `quiet`.
 */
export function veleroBinaries(options: {
  build: boolean;
  quiet?: boolean;
}): Promise<VeleroBinaries> {
  return new Promise((resolve, reject) => {
    const setup = spawn('bash', [setupScript, ...(options.build ? [] : ['--no-build'])], {
      stdio: ['ignore', 'pipe', options.quiet ? 'ignore' : 'inherit'],
    });
    let stdout = '';
    setup.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    setup.on('error', reject);
    setup.on('close', (code, signal) => {
      if (code === 3) {
        reject(
          new VeleroNotSetUpError(
            'Velero is not set up: run `npm run setup:velero` (from the shared tarball in seconds, else a ~20 min build from the Go module proxy)',
          ),
        );
        return;
      }
      if (code !== 0) {
        reject(new Error(`scripts/setup-velero-server.sh failed (${signal ?? `exit ${code}`})`));
        return;
      }
      const paths = new Map(
        stdout
          .split('\n')
          .filter((line) => line.includes('='))
          .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
      );
      const velero = paths.get('velero');
      const pluginDir = paths.get('plugin-dir');
      if (!velero || !pluginDir) {
        reject(new Error('scripts/setup-velero-server.sh named no velero or plugin-dir'));
        return;
      }
      resolve({ velero, pluginDir });
    });
  });
}
