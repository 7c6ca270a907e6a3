import { dynamoDbDocumentClient } from '../../lambdas/adapters/aws/clients';
import { PauseStore } from '../../lambdas/adapters/aws/pause-store';
import type { DrpilotConfig, NodeGroupConfig } from '../../lambdas/core/config/schema';
import type { Pause } from '../../lambdas/core/pause/pause-rules';
import type { NodeDrainer } from '../../lambdas/resize/ec2-rollout';
import { kubernetesDrainerFor } from '../../lambdas/resize/group-drainer';
import type { RolloutNode } from '../../lambdas/resize/rollout-state';
import { REGION } from './resize-estate';

/**
 * The group's real drainer (the Kubernetes API from the kubeconfig secret), recording its calls;
 * the first eviction round sets `pause resize`, so the pause arrives while node 1 is mid-drain.
 */
export function pausingDrainerFor(config: DrpilotConfig) {
  const calls: string[] = [];
  const set: { pause: Pause | null } = { pause: null };
  const drainerFor = async (
    group: NodeGroupConfig,
    nodes: readonly RolloutNode[],
  ): Promise<NodeDrainer> => {
    const inner = await kubernetesDrainerFor(group, REGION, nodes);
    return {
      isCordoned: (id) => inner.isCordoned(id),
      cordon: async (id) => (calls.push(`cordon ${id}`), inner.cordon(id)),
      evict: async (id) => {
        calls.push(`evict ${id}`);
        if (!set.pause) {
          set.pause = await new PauseStore(
            dynamoDbDocumentClient(config.controlRegion),
            config.stateTable,
          ).pause('resize', { by: 'alice', reason: 'CHG-1234', untilMs: Date.now() + 3_600_000 });
        }
        return inner.evict(id);
      },
      isReady: (id) => inner.isReady(id),
      uncordon: async (id) => (calls.push(`uncordon ${id}`), inner.uncordon(id)),
    };
  };
  return { calls, set, drainerFor };
}
