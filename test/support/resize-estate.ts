import { CreateSecretCommand } from '@aws-sdk/client-secrets-manager';
import { afterEach } from 'vitest';
import {
  startFakeKubernetesApi,
  type FakeKubernetesApi,
} from '../../cli/embedded/fake-kubernetes-api';
import { publishUtilisation } from '../../cli/embedded/seed-load';
import { cloudWatchClient, ec2Client, secretsManagerClient } from '../../lambdas/aws/clients';
import { instancesWithTag } from '../../lambdas/aws/tagged-instances';
import type { DrpilotConfig } from '../../lambdas/core/config/schema';
import { seedExampleEstate } from './seeded-estate';

export const REGION = 'eu-west-1';
export const GROUP = 'primary-workers';
/**
 * Resize waits that do not wait (moto's state changes are instant), with a node timeout long
 * enough that a loaded machine (20 concurrent invocations, CI) never turns a slow drain into a
 * blocked one.
 */
export const fast = { timeouts: { nodeMs: 60_000, pollMs: 1 }, sleep: async () => undefined };

/** CPU of the primary group's members, as EC2 publishes it, for the last 10 minutes. */
export const publishCpu = (ids: string[], percent: number) =>
  publishUtilisation(cloudWatchClient(REGION), 'cpu', ids, percent);

/**
 * The seeded example estate's primary group with its nodes registered in a fake Kubernetes API
 * (one web pod and one DaemonSet pod each) and the kubeconfig in Secrets Manager. The API is
 * closed after each test.
 */
export function useResizeEstate() {
  let kube: FakeKubernetesApi | undefined;
  afterEach(async () => {
    await kube?.close();
    kube = undefined;
  });
  return {
    get kube(): FakeKubernetesApi {
      if (!kube) throw new Error('no estate yet: call estateWithCluster() first');
      return kube;
    },
    async estateWithCluster(): Promise<{
      config: DrpilotConfig;
      configFile: string;
      ids: string[];
    }> {
      const { config, configFile } = await seedExampleEstate();
      const members = await instancesWithTag(ec2Client(REGION), {
        key: 'drpilot:group',
        value: GROUP,
      });
      kube = await startFakeKubernetesApi({
        nodes: members.map((m) => ({ name: m.privateDnsName ?? m.id, instanceId: m.id })),
        pods: members.flatMap((m, i) => [
          {
            name: `web-${i}`,
            node: m.privateDnsName ?? m.id,
            labels: { app: 'web' },
            owner: { kind: 'ReplicaSet', name: 'web' },
          },
          {
            name: `agent-${i}`,
            node: m.privateDnsName ?? m.id,
            owner: { kind: 'DaemonSet', name: 'agent' },
          },
        ]),
        eviction: { reschedule: true },
      });
      await secretsManagerClient(REGION).send(
        new CreateSecretCommand({
          Name: 'acme/drpilot/primary-kubeconfig',
          SecretString: kube.kubeconfigJson(),
        }),
      );
      return { config, configFile, ids: members.map((m) => m.id) };
    },
  };
}
