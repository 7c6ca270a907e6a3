import type { EC2Client } from '@aws-sdk/client-ec2';

/** What EC2 did to a node's instance, as the emulated kubelet saw it. */
export type InstanceEvent = { instanceId: string; at: number } & (
  | { kind: 'stopped'; cordoned: boolean; podsLeft: string[] }
  | { kind: 'retyped'; type: string }
  | { kind: 'started' }
);

/** The Kubernetes side of the instances: what a node looks like, and its kubelet going and coming. */
export interface KubeletSide {
  /** The node as EC2 is asked to stop its instance: cordoned, and the pods still on it. */
  snapshot(instanceId: string): Promise<{ cordoned: boolean; podsLeft: string[] }>;
  stopped(instanceId: string): Promise<void>;
  started(instanceId: string): Promise<void>;
}

let relays = 0;

/**
 * Relays EC2 stops and starts of `instanceIds` (moto's are instant and touch no kubelet) to
 * their nodes, and records them in `events`. Returns a function that detaches the relay.
 */
export function relayInstanceStates(
  ec2: EC2Client,
  instanceIds: ReadonlySet<string>,
  side: KubeletSide,
  events: InstanceEvent[],
): () => void {
  const name = `drpilotKubeletRelay${++relays}`;
  ec2.middlewareStack.add(
    (next, context) => async (args) => {
      const input = args.input as {
        InstanceIds?: string[];
        InstanceId?: string;
        InstanceType?: { Value?: string };
      };
      const ids = (input.InstanceIds ?? [input.InstanceId ?? '']).filter((id) =>
        instanceIds.has(id),
      );
      const command = context.commandName;
      // Taken before the call: the node as it was when EC2 was asked to stop it.
      const stopping =
        command === 'StopInstancesCommand'
          ? await Promise.all(
              ids.map(async (id) => ({
                instanceId: id,
                kind: 'stopped' as const,
                ...(await side.snapshot(id)),
              })),
            )
          : [];
      const output = await next(args);
      const at = Date.now();
      for (const event of stopping) {
        events.push({ ...event, at });
        await side.stopped(event.instanceId);
      }
      const type = input.InstanceType?.Value;
      if (command === 'ModifyInstanceAttributeCommand' && type) {
        for (const id of ids) events.push({ instanceId: id, at, kind: 'retyped', type });
      }
      if (command === 'StartInstancesCommand') {
        for (const id of ids) {
          events.push({ instanceId: id, at, kind: 'started' });
          await side.started(id);
        }
      }
      return output;
    },
    { step: 'initialize', name },
  );
  return () => {
    ec2.middlewareStack.remove(name);
  };
}
