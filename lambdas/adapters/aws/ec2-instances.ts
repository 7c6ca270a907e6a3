import {
  CreateTagsCommand,
  DeleteTagsCommand,
  DescribeInstancesCommand,
  ModifyInstanceAttributeCommand,
  StartInstancesCommand,
  StopInstancesCommand,
  type EC2Client,
} from '@aws-sdk/client-ec2';

/** The EC2 client executors pass through to these functions without touching the SDK. */
export type Ec2 = EC2Client;

export type InstanceState =
  'pending' | 'running' | 'stopping' | 'stopped' | 'shutting-down' | 'terminated' | 'unknown';

export async function instanceState(
  ec2: EC2Client,
  id: string,
): Promise<{ state: InstanceState; type: string }> {
  const { Reservations = [] } = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [id] }));
  const instance = Reservations[0]?.Instances?.[0];
  return {
    state: (instance?.State?.Name as InstanceState) ?? 'unknown',
    type: instance?.InstanceType ?? '',
  };
}

/** The instance's tags as they are now. */
export async function instanceTags(ec2: EC2Client, id: string): Promise<Record<string, string>> {
  const { Reservations = [] } = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [id] }));
  const tags = Reservations[0]?.Instances?.[0]?.Tags ?? [];
  return Object.fromEntries(tags.map((t) => [t.Key ?? '', t.Value ?? '']));
}

export async function stopInstance(ec2: EC2Client, id: string): Promise<void> {
  await ec2.send(new StopInstancesCommand({ InstanceIds: [id] }));
}

export async function startInstance(ec2: EC2Client, id: string): Promise<void> {
  await ec2.send(new StartInstancesCommand({ InstanceIds: [id] }));
}

/** The type of a stopped instance (EC2 refuses it on a running one: IncorrectInstanceState). */
export async function setInstanceType(ec2: EC2Client, id: string, type: string): Promise<void> {
  await ec2.send(
    new ModifyInstanceAttributeCommand({ InstanceId: id, InstanceType: { Value: type } }),
  );
}

export async function tagInstance(
  ec2: EC2Client,
  id: string,
  key: string,
  value: string,
): Promise<void> {
  await ec2.send(new CreateTagsCommand({ Resources: [id], Tags: [{ Key: key, Value: value }] }));
}

export async function untagInstance(
  ec2: EC2Client,
  id: string,
  keys: readonly string[],
): Promise<void> {
  await ec2.send(new DeleteTagsCommand({ Resources: [id], Tags: keys.map((Key) => ({ Key })) }));
}
