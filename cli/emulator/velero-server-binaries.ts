import { fileURLToPath } from 'node:url';
import { runSetupScript } from './setup-script';

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
export async function veleroBinaries(options: {
  build: boolean;
  quiet?: boolean;
}): Promise<VeleroBinaries> {
  const paths = await runSetupScript(setupScript, {
    build: options.build,
    quiet: options.quiet ?? false,
    notSetUp: () =>
      new VeleroNotSetUpError(
        'Velero is not set up: run `npm run setup:velero` (from the shared tarball in seconds, else a ~20 min build from the Go module proxy)',
      ),
  });
  const velero = paths.get('velero');
  const pluginDir = paths.get('plugin-dir');
  if (!velero || !pluginDir) {
    throw new Error('scripts/setup-velero-server.sh named no velero or plugin-dir');
  }
  return { velero, pluginDir };
}
