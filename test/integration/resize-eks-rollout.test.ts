import { CreateAutoScalingGroupCommand } from '@aws-sdk/client-auto-scaling';
import { CreateLaunchTemplateCommand, type _InstanceType } from '@aws-sdk/client-ec2';
import {
  CreateClusterCommand,
  CreateNodegroupCommand,
  DescribeNodegroupCommand,
  UpdateNodegroupVersionCommand,
} from '@aws-sdk/client-eks';
import { beforeEach, describe, expect, it } from 'vitest';
import { autoScalingClient, ec2Client, eksClient } from '../../lambdas/adapters/aws/clients';
import type { NodeGroupConfig } from '../../lambdas/core/config/schema';
import {
  cancelTemplateRollout,
  pollTemplateRollout,
  startTemplateRollout,
  templateGroupMembers,
  type TemplateTarget,
} from '../../lambdas/resize/template-rollout';
import { checkTemplatePreconditions } from '../../lambdas/resize/template-preconditions';
import { recordCommands, writes } from '../support/command-recorder';
import { LaunchTemplateVersionsFake } from '../support/launch-template-versions-fake';
import { useMoto } from '../support/moto';
import { pollToEnd, templateVersions } from '../support/template-rollout-helpers';
import { NodegroupUpdateFake } from '../support/nodegroup-update-fake';

useMoto();

const REGION = 'eu-west-1';
const AMI = 'ami-04681a1dbd79675a5';
const CLUSTER = 'prod';
const NODEGROUP = 'workers';

interface Seed {
  optIn?: boolean;
  /** Create the node group with the launch template (default) or without one. */
  launchTemplate?: boolean;
  instanceTypes?: string[];
  /** The template's InstanceType; null: none. */
  templateType?: string | null;
}

/**
 * A launch template, an EKS cluster and a managed node group of 2 nodes on it, and the Auto
 * Scaling group EKS would run them in (moto names it but does not create it).
 */
async function seedNodegroup(seed: Seed = {}): Promise<string> {
  const type = seed.templateType === undefined ? 'm6i.large' : seed.templateType;
  const { LaunchTemplate } = await ec2Client(REGION).send(
    new CreateLaunchTemplateCommand({
      LaunchTemplateName: 'workers',
      LaunchTemplateData: {
        ImageId: AMI,
        ...(type ? { InstanceType: type as _InstanceType } : {}),
      },
    }),
  );
  const launchTemplateId = LaunchTemplate!.LaunchTemplateId!;
  const eks = eksClient(REGION);
  await eks.send(
    new CreateClusterCommand({
      name: CLUSTER,
      roleArn: 'arn:aws:iam::123456789012:role/eks-cluster',
      resourcesVpcConfig: { subnetIds: ['subnet-0a1b2c3d'] },
    }),
  );
  const { nodegroup } = await eks.send(
    new CreateNodegroupCommand({
      clusterName: CLUSTER,
      nodegroupName: NODEGROUP,
      nodeRole: 'arn:aws:iam::123456789012:role/eks-node',
      subnets: ['subnet-0a1b2c3d'],
      scalingConfig: { minSize: 2, maxSize: 4, desiredSize: 2 },
      ...(seed.launchTemplate === false
        ? {}
        : { launchTemplate: { id: launchTemplateId, version: '1' } }),
      ...(seed.instanceTypes ? { instanceTypes: seed.instanceTypes } : {}),
      tags: seed.optIn === false ? {} : { 'drpilot:managed': 'true' },
    }),
  );
  await autoScalingClient(REGION).send(
    new CreateAutoScalingGroupCommand({
      AutoScalingGroupName: nodegroup!.resources!.autoScalingGroups![0]!.name!,
      LaunchTemplate: { LaunchTemplateId: launchTemplateId, Version: '1' },
      MinSize: 2,
      MaxSize: 4,
      DesiredCapacity: 2,
      AvailabilityZones: ['eu-west-1a', 'eu-west-1b'],
    }),
  );
  return launchTemplateId;
}

const eksGroup: NodeGroupConfig = {
  id: 'workers',
  cluster: 'primary',
  kind: 'eks-managed',
  selector: { eks: { clusterName: CLUSTER, nodegroupName: NODEGROUP } },
  metric: 'memory',
  alarms: 'auto',
  ladder: ['m6i.large', 'm6i.xlarge', 'm6i.2xlarge'],
  maxStepRatio: 2,
  headroom: 1.2,
  scaleUpAt: 75,
  scaleDownAt: 30,
  cooldownSeconds: 1800,
  drainTimeoutSeconds: 180,
};

async function nodegroupTemplateVersion() {
  const { nodegroup } = await eksClient(REGION).send(
    new DescribeNodegroupCommand({ clusterName: CLUSTER, nodegroupName: NODEGROUP }),
  );
  return nodegroup?.launchTemplate?.version;
}

async function checkedTarget(): Promise<TemplateTarget> {
  const check = await checkTemplatePreconditions(eksGroup, REGION, 'm6i.xlarge');
  if (!check.ok) throw new Error(`unexpected refusal: ${check.reason}`);
  return check.target;
}

describe('eks-managed rollout against moto + NodegroupUpdateFake + LaunchTemplateVersionsFake', () => {
  let updates: NodegroupUpdateFake;

  beforeEach(() => {
    new LaunchTemplateVersionsFake().install(ec2Client(REGION), REGION);
    updates = new NodegroupUpdateFake();
    updates.install(eksClient(REGION), REGION);
  });

  it('nodegroup-update fake, InProgress → Successful: a new version with only the type changed; the node group then reports that version', async () => {
    const launchTemplateId = await seedNodegroup();
    const members = await templateGroupMembers(eksGroup, REGION);
    expect(members.map((m) => m.type)).toEqual(['m6i.large', 'm6i.large']);

    const target = await checkedTarget();
    expect(target).toEqual({
      kind: 'eks-managed',
      region: REGION,
      clusterName: CLUSTER,
      nodegroupName: NODEGROUP,
      launchTemplateId,
      launchTemplateName: 'workers',
      currentVersion: 1,
      currentType: 'm6i.large',
      memberInstanceIds: members.map((m) => m.id),
    });

    const handle = await startTemplateRollout(target, 'm6i.xlarge', 'p95 memory 88% ≥ 75%');
    expect(handle).toMatchObject({ toType: 'm6i.xlarge', newVersion: 2 });
    expect(updates.started).toEqual([
      {
        clusterName: CLUSTER,
        nodegroupName: NODEGROUP,
        launchTemplate: { id: launchTemplateId, version: '2' },
      },
    ]);
    expect(await templateVersions(REGION, launchTemplateId)).toEqual([
      { version: 1, type: 'm6i.large', imageId: AMI },
      { version: 2, type: 'm6i.xlarge', imageId: AMI },
    ]);

    const seen = await pollToEnd(handle);
    expect(seen.map((p) => p.status)).toEqual(['in-progress', 'succeeded']);
    expect(seen.every((p) => p.percentComplete === null)).toBe(true);
    expect(seen[0]!.detail).toBe(
      `update ${handle.operationId} of node group workers is InProgress`,
    );
    expect(seen[1]!.detail).toContain(
      'the node group runs m6i.xlarge from launch template version 2',
    );
    expect(await nodegroupTemplateVersion()).toBe('2');
  });

  it('nodegroup-update fake, injected PodEvictionFailure: Failed with the error named, the node group keeps version 1', async () => {
    await seedNodegroup();
    updates.failNextUpdate({
      errorCode: 'PodEvictionFailure',
      errorMessage:
        'Reached max retries while trying to evict pods from nodes in node group workers',
      resourceIds: ['ip-10-0-1-23.eu-west-1.compute.internal'],
    });

    const seen = await pollToEnd(
      await startTemplateRollout(await checkedTarget(), 'm6i.xlarge', 'test'),
    );

    expect(seen.map((p) => p.status)).toEqual(['in-progress', 'failed']);
    expect(seen[1]!.detail).toContain(
      'is Failed: PodEvictionFailure: Reached max retries while trying to evict pods from nodes in node group workers (ip-10-0-1-23.eu-west-1.compute.internal)',
    );
    expect(await nodegroupTemplateVersion()).toBe('1');
  });

  it('an update still running at the rollout bound cannot be cancelled: Finish says so, citing EKS CancelUpdate, calls nothing, and the update goes on', async () => {
    await seedNodegroup();
    const handle = await startTemplateRollout(await checkedTarget(), 'm6i.xlarge', 'test');
    const calls = recordCommands(ec2Client(REGION), eksClient(REGION));

    const said = await cancelTemplateRollout(handle);

    expect(said).toBe(
      `update ${handle.operationId} of node group ${NODEGROUP} cannot be cancelled (EKS CancelUpdate supports only VersionRollback updates on EKS Auto Mode clusters, https://docs.aws.amazon.com/eks/latest/APIReference/API_CancelUpdate.html): it is still running; watch it with aws eks describe-update`,
    );
    expect(calls).toEqual([]);
    expect((await pollTemplateRollout(handle)).status).toBe('in-progress');
  });

  const refusals: Array<[string, Seed, string[]]> = [
    ['the node group lacks the opt-in tag', { optIn: false }, ['opt-in tag drpilot:managed=true']],
    [
      'the node group was created without a launch template',
      { launchTemplate: false },
      ['created without a launch template'],
    ],
    [
      'the node group sets instanceTypes itself',
      { instanceTypes: ['m6i.large'], templateType: null },
      ['sets instanceTypes itself (m6i.large)'],
    ],
    [
      'the template does not set InstanceType',
      { templateType: null },
      ['launch template workers version 1 does not set InstanceType'],
    ],
  ];

  it.each(refusals)('refuses without writing anything when %s', async (_, seed, expected) => {
    const launchTemplateId = await seedNodegroup(seed);
    const calls = recordCommands(ec2Client(REGION), eksClient(REGION));

    const check = await checkTemplatePreconditions(eksGroup, REGION, 'm6i.xlarge');

    const reason = check.ok ? '' : check.reason;
    expect(reason).toContain(`cannot resize node group ${NODEGROUP} of ${CLUSTER}`);
    for (const text of expected) expect(reason).toContain(text);
    expect(writes(calls)).toEqual([]);
    expect((await templateVersions(REGION, launchTemplateId)).map((v) => v.version)).toEqual([1]);
    expect(updates.started).toEqual([]);
  });

  it('one update at a time (nodegroup-update fake): refuses while the node group is UPDATING', async () => {
    const launchTemplateId = await seedNodegroup();
    await eksClient(REGION).send(
      new UpdateNodegroupVersionCommand({
        clusterName: CLUSTER,
        nodegroupName: NODEGROUP,
        launchTemplate: { id: launchTemplateId, version: '1' },
      }),
    );
    const calls = recordCommands(ec2Client(REGION), eksClient(REGION));

    const check = await checkTemplatePreconditions(eksGroup, REGION, 'm6i.xlarge');

    expect(check).toMatchObject({
      ok: false,
      reason: expect.stringContaining('an update of the node group is in progress'),
    });
    expect(writes(calls)).toEqual([]);
    expect(updates.started).toHaveLength(1);
  });

  it('ResourceInUseException rule (nodegroup-update fake): when an update starts between the check and the start, the start fails and the new version is deleted again (LaunchTemplateVersionsFake)', async () => {
    const launchTemplateId = await seedNodegroup();
    const target = await checkedTarget();
    await eksClient(REGION).send(
      new UpdateNodegroupVersionCommand({
        clusterName: CLUSTER,
        nodegroupName: NODEGROUP,
        launchTemplate: { id: launchTemplateId, version: '1' },
      }),
    );
    const calls = recordCommands(ec2Client(REGION), eksClient(REGION));

    await expect(startTemplateRollout(target, 'm6i.xlarge', 'test')).rejects.toThrow(
      /UpdateNodegroupVersion failed \(ResourceInUseException: .*\); version 2 of launch template lt-\w+ was deleted again/,
    );
    expect(writes(calls)).toEqual([
      'CreateLaunchTemplateVersion',
      'UpdateNodegroupVersion',
      'DeleteLaunchTemplateVersions',
    ]);
    expect((await templateVersions(REGION, launchTemplateId)).map((v) => v.version)).toEqual([1]);
  });

  it('launch-template rules (nodegroup-update fake): InvalidParameterException for a node group created without a template, or for another template', async () => {
    const launchTemplateId = await seedNodegroup({ launchTemplate: false });
    const update = (id: string, nodegroupName: string) =>
      eksClient(REGION).send(
        new UpdateNodegroupVersionCommand({
          clusterName: CLUSTER,
          nodegroupName,
          launchTemplate: { id, version: '1' },
        }),
      );
    await expect(update(launchTemplateId, NODEGROUP)).rejects.toMatchObject({
      name: 'InvalidParameterException',
      message: expect.stringContaining('was not created with one'),
    });

    const { LaunchTemplate } = await ec2Client(REGION).send(
      new CreateLaunchTemplateCommand({
        LaunchTemplateName: 'other',
        LaunchTemplateData: { ImageId: AMI, InstanceType: 'm6i.large' },
      }),
    );
    await eksClient(REGION).send(
      new CreateNodegroupCommand({
        clusterName: CLUSTER,
        nodegroupName: 'with-template',
        nodeRole: 'arn:aws:iam::123456789012:role/eks-node',
        subnets: ['subnet-0a1b2c3d'],
        launchTemplate: { id: launchTemplateId, version: '1' },
      }),
    );
    await expect(update(LaunchTemplate!.LaunchTemplateId!, 'with-template')).rejects.toMatchObject({
      name: 'InvalidParameterException',
      message: expect.stringContaining(
        `the one node group with-template was created with (${launchTemplateId})`,
      ),
    });
    expect(updates.started).toEqual([]);
  });
});
