import { fileURLToPath } from 'node:url';
import { runSetupScript } from './setup-script';

export const K8S_WORLD_BINARIES = [
  'etcd',
  'kube-apiserver',
  'kube-controller-manager',
  'kube-scheduler',
  'kwok',
] as const;

export type K8sWorldBinary = (typeof K8S_WORLD_BINARIES)[number];
export type K8sWorldBinaries = Record<K8sWorldBinary, string>;

const setupScript = fileURLToPath(new URL('../../scripts/setup-k8s-world.sh', import.meta.url));

/** The world is not set up and `build: false` forbade building it. */
export class K8sWorldNotSetUpError extends Error {
  override readonly name = 'K8sWorldNotSetUpError';
}

/**
 * Where the world's binaries are, from `scripts/setup-k8s-world.sh` ($KUBEBUILDER_ASSETS, the
 * cache, the shared tarball, or — with `build` — a build from the Go module proxy). The script's
 * progress goes to this process's stderr.
 */
export async function k8sWorldBinaries(options: { build: boolean }): Promise<K8sWorldBinaries> {
  const paths = await runSetupScript(setupScript, {
    build: options.build,
    notSetUp: () =>
      new K8sWorldNotSetUpError(
        'the real Kubernetes world is not set up: run `npm run setup:k8s` (from the shared tarball in seconds, else a ~35-40 min build from the Go module proxy), or set KUBEBUILDER_ASSETS',
      ),
  });
  const missing = K8S_WORLD_BINARIES.filter((name) => !paths.get(name));
  if (missing.length > 0) {
    throw new Error(`scripts/setup-k8s-world.sh named no ${missing.join(', ')}`);
  }
  return Object.fromEntries(paths) as K8sWorldBinaries;
}
