/**
 * A pause of `resize` set while an `ec2` rollout is under way, through the local runner against
 * moto and a Kubernetes API (the fake one, and kube-apiserver + kwok): the node being drained
 * when the pause arrives is finished — stopped, retyped, started, Ready and uncordoned — and the
 * next node is never cordoned or stopped; the rollout ends `held`, audited and paged.
 */
import { CreateTopicCommand, type PublishCommandInput } from '@aws-sdk/client-sns';
import { describe, expect, it } from 'vitest';
import { dynamoDbDocumentClient, ec2Client, snsClient } from '../../lambdas/adapters/aws/clients';
import { instanceState } from '../../lambdas/adapters/aws/ec2-instances';
import { StateStore } from '../../lambdas/adapters/aws/state-store';
import { isNodeReady } from '../../lambdas/adapters/kubernetes/kube-api';
import type { DrpilotConfig } from '../../lambdas/core/config/schema';
import { notificationTopicName } from '../../lambdas/core/shared-names';
import { runResize } from '../../lambdas/resize/run-resize';
import { useK8sWorld } from '../support/k8s-world';
import { useMoto } from '../support/moto';
import { pausingDrainerFor } from '../support/pausing-drainer';
import { GROUP, REGION, useResizeEstate } from '../support/resize-estate';

useMoto();

const estates = [useResizeEstate(), useResizeEstate(useK8sWorld())];

/** What is published to the notification topic from now on. */
async function notificationsOf(config: DrpilotConfig) {
  const sns = snsClient(config.controlRegion);
  await sns.send(new CreateTopicCommand({ Name: notificationTopicName(config) }));
  const published: PublishCommandInput[] = [];
  sns.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName === 'PublishCommand')
        published.push(args.input as PublishCommandInput);
      return next(args);
    },
    { step: 'initialize', name: 'recordPublished' },
  );
  return published;
}

describe.each(estates)('a pause during an ec2 rollout (local runner, $name)', (estate) => {
  it('set while node 1 is mid-drain: node 1 is finished and uncordoned, node 2 never starts; held, audited, paged', async () => {
    const { config } = await estate.estateWithCluster();
    const published = await notificationsOf(config);
    const { calls, set, drainerFor } = pausingDrainerFor(config);
    const result = await runResize(config, GROUP, {
      request: { kind: 'to', type: 'm6i.xlarge' },
      dryRun: false,
      trigger: 'test',
      ...estate.timing,
      drainerFor,
    });

    expect(result.outcome).toBe('held');
    expect(result.nodes.map((n) => n.outcome)).toEqual(['resized', 'not-started', 'not-started']);
    const [first, ...rest] = result.nodes;
    expect(result.reason).toBe(
      `rollout held at a node boundary (done: ${first!.id} resized; not started: ${rest.map((n) => n.id).join(', ')}): paused by alice until ${set.pause!.until}: CHG-1234 (would have: resize ${rest.map((n) => n.id).join(', ')} to m6i.xlarge; drpilot resume resize lifts it)`,
    );
    for (const n of rest)
      expect(n.detail).toBe('held by the pause of resize (paused by alice: CHG-1234)');

    // Node 1 finished safely: on the new type, Ready, uncordoned.
    expect(await instanceState(ec2Client(REGION), first!.id)).toEqual({
      state: 'running',
      type: 'm6i.xlarge',
    });
    const node = await estate.node(first!.id);
    expect(node.spec.unschedulable).toBeFalsy();
    expect(isNodeReady(node)).toBe(true);
    // Node 2 and 3 never started: untouched in EC2, never cordoned.
    for (const n of rest) {
      expect(await instanceState(ec2Client(REGION), n.id)).toEqual({
        state: 'running',
        type: 'm6i.large',
      });
      expect((await estate.node(n.id)).spec.unschedulable).toBeFalsy();
    }
    expect(calls.every((c) => c.endsWith(first!.id))).toBe(true);
    expect(calls).toContain(`uncordon ${first!.id}`);

    const [audited] = await new StateStore(
      dynamoDbDocumentClient(config.controlRegion),
      config.stateTable,
    ).recentAudit('resize', 1);
    expect(audited).toMatchObject({ outcome: 'held', group: GROUP, reason: result.reason });
    const subjects = published.map((p) => p.Subject);
    expect(subjects).toContain(`drpilot ${config.name}: RESIZE HELD`);
    expect(subjects).toContain(`drpilot ${config.name}: resize ${GROUP} held`);
    const page = published.find((p) => p.Subject === `drpilot ${config.name}: RESIZE HELD`);
    expect(page!.Message).toContain(`the resize of ${GROUP} was held by a pause`);
  });
});
