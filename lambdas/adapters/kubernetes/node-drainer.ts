/**
 * Drain, readiness and uncordon keyed by EC2 instance id — the shape the `ec2` rollout's
 * `NodeDrainer` asks for (matched structurally; this module imports nothing from the rollout).
 */
import {
  cordonAndDrain,
  findNodeForInstance,
  uncordon,
  waitForReady,
  type DrainOptions,
  type DrainResult,
  type Ec2InstanceRef,
  type WaitOptions,
} from './drain';
import type { KubeApi } from './kube-api';

export interface KubernetesNodeDrainerOptions {
  drain: DrainOptions;
  ready: WaitOptions;
  /**
   * What is known about an instance (private DNS name, tags) for the node-name conventions;
   * without it the node is found by `spec.providerID` alone.
   */
  describeInstance?: (instanceId: string) => Promise<Ec2InstanceRef> | Ec2InstanceRef;
  /** Called with each finished drain. */
  onDrained?: (instanceId: string, result: DrainResult) => void;
}

export interface InstanceNodeDrainer {
  drain(instanceId: string): Promise<void>;
  waitReady(instanceId: string): Promise<void>;
  uncordon(instanceId: string): Promise<void>;
  /** The node name resolved for an instance (cached after the first look-up). */
  nodeName(instanceId: string): Promise<string>;
}

export function kubernetesNodeDrainer(
  api: KubeApi,
  options: KubernetesNodeDrainerOptions,
): InstanceNodeDrainer {
  // Resolved once, while the node is up: a stopped node keeps its name but the look-up may
  // race its object being recreated.
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
    async drain(instanceId) {
      const result = await cordonAndDrain(api, await nodeName(instanceId), options.drain);
      options.onDrained?.(instanceId, result);
    },
    async waitReady(instanceId) {
      await waitForReady(api, await nodeName(instanceId), options.ready);
    },
    async uncordon(instanceId) {
      await uncordon(api, await nodeName(instanceId));
    },
  };
}
