/**
 * Cordon, eviction rounds, readiness and uncordon keyed by EC2 instance id — the shape the `ec2`
 * rollout's `NodeDrainer` asks for (matched structurally; this module imports nothing from the
 * rollout). Nothing here waits: the rollout waits between its sub-steps.
 */
import {
  cordon,
  evictionRound,
  findNodeForInstance,
  uncordon,
  type EvictionRound,
  type Ec2InstanceRef,
} from './drain';
import { isNodeReady, type KubeApi } from './kube-api';

export interface KubernetesNodeDrainerOptions {
  /**
   * What is known about an instance (private DNS name, tags) for the node-name conventions;
   * without it the node is found by `spec.providerID` alone.
   */
  describeInstance?: (instanceId: string) => Promise<Ec2InstanceRef> | Ec2InstanceRef;
}

export interface InstanceNodeDrainer {
  /** Whether the node is unschedulable now. */
  isCordoned(instanceId: string): Promise<boolean>;
  /** Marks the node unschedulable; whether it already was. */
  cordon(instanceId: string): Promise<{ alreadyCordoned: boolean }>;
  /** One eviction round (`evictionRound`): what is still on the node. */
  evict(instanceId: string): Promise<EvictionRound>;
  /** Whether the node's Ready condition is True now. */
  isReady(instanceId: string): Promise<boolean>;
  uncordon(instanceId: string): Promise<void>;
  /** The node name resolved for an instance (cached after the first look-up). */
  nodeName(instanceId: string): Promise<string>;
}

export function kubernetesNodeDrainer(
  api: KubeApi,
  options: KubernetesNodeDrainerOptions = {},
): InstanceNodeDrainer {
  // Resolved once per drainer, while the node is up: a stopped node keeps its name but the
  // look-up may race its object being recreated.
  const names = new Map<string, string>();
  const nodeName = async (instanceId: string) => {
    const known = names.get(instanceId);
    if (known) return known;
    const instance = (await options.describeInstance?.(instanceId)) ?? { id: instanceId, tags: {} };
    const node = await findNodeForInstance(api, instance);
    names.set(instanceId, node.metadata.name);
    return node.metadata.name;
  };
  return {
    nodeName,
    async isCordoned(instanceId) {
      return (await api.getNode(await nodeName(instanceId))).spec.unschedulable === true;
    },
    async cordon(instanceId) {
      const { alreadyCordoned } = await cordon(api, await nodeName(instanceId));
      return { alreadyCordoned };
    },
    async evict(instanceId) {
      return evictionRound(api, await nodeName(instanceId));
    },
    async isReady(instanceId) {
      try {
        return isNodeReady(await api.getNode(await nodeName(instanceId)));
      } catch (error) {
        // The node object may be briefly absent while the instance starts; 401/403 are not that.
        const statusCode = (error as { statusCode?: number }).statusCode;
        if (statusCode === 401 || statusCode === 403) throw error;
        return false;
      }
    },
    async uncordon(instanceId) {
      await uncordon(api, await nodeName(instanceId));
    },
  };
}
