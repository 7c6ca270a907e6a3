import { RunInstancesCommand, type _InstanceType, type EC2Client } from '@aws-sdk/client-ec2';
import type { NodeGroupConfig } from '../../lambdas/core/config/schema';
import { OPT_IN_TAG } from '../../lambdas/core/resize/opt-in';

/**
 * Amazon Linux 2 (x86_64, HVM) from the image catalogue moto ships; looking one up with filters
 * costs moto seconds per call.
 */
const NODE_IMAGE_ID = 'ami-04681a1dbd79675a5';

/**
 * Runs `count` standalone nodes of a tag-selected group on the ladder's first rung, tagged as a
 * kops/Rancher node would be plus drpilot's opt-in tag.
 */
export async function seedNodeGroup(
  ec2: EC2Client,
  group: NodeGroupConfig,
  count: number,
): Promise<string[]> {
  const tag = group.selector.tag;
  const instanceType = group.ladder[0];
  if (!tag || !instanceType) return [];
  const { Instances = [] } = await ec2.send(
    new RunInstancesCommand({
      ImageId: NODE_IMAGE_ID,
      InstanceType: instanceType as _InstanceType,
      MinCount: count,
      MaxCount: count,
      TagSpecifications: [
        {
          ResourceType: 'instance',
          Tags: [
            { Key: tag.key, Value: tag.value },
            { Key: OPT_IN_TAG.key, Value: OPT_IN_TAG.value },
            { Key: 'Name', Value: `${group.id}-node` },
          ],
        },
      ],
    }),
  );
  return Instances.map((i) => i.InstanceId ?? '');
}
