import { paginateDescribeInstances, type EC2Client } from '@aws-sdk/client-ec2';

export interface NodeInstance {
  id: string;
  type: string;
  state: string;
  availabilityZone: string | null;
  privateDnsName: string | null;
  tags: Record<string, string>;
}

/** Every instance carrying the tag, terminated ones excepted. */
export async function instancesWithTag(
  ec2: EC2Client,
  tag: { key: string; value: string },
): Promise<NodeInstance[]> {
  const instances: NodeInstance[] = [];
  const pages = paginateDescribeInstances(
    { client: ec2 },
    {
      Filters: [
        { Name: `tag:${tag.key}`, Values: [tag.value] },
        { Name: 'instance-state-name', Values: ['pending', 'running', 'stopping', 'stopped'] },
      ],
    },
  );
  for await (const page of pages) {
    for (const reservation of page.Reservations ?? []) {
      for (const instance of reservation.Instances ?? []) {
        instances.push({
          id: instance.InstanceId ?? '',
          type: instance.InstanceType ?? '',
          state: instance.State?.Name ?? 'unknown',
          availabilityZone: instance.Placement?.AvailabilityZone ?? null,
          privateDnsName: instance.PrivateDnsName || null,
          tags: Object.fromEntries((instance.Tags ?? []).map((t) => [t.Key ?? '', t.Value ?? ''])),
        });
      }
    }
  }
  return instances.sort((a, b) => a.id.localeCompare(b.id));
}
