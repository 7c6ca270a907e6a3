import { describe, expect, it } from 'vitest';
import { ec2Client } from '../../lambdas/adapters/aws/clients';
import {
  describeInstanceFamily,
  describeInstanceTypes,
} from '../../lambdas/adapters/aws/instance-types';
import { deriveLadder } from '../../lambdas/core/resize/derived-ladder';
import { useMoto } from '../support/moto';

// moto ships EC2's catalogue and per-region offerings; nothing to seed.
useMoto({ resetBeforeEach: false });

const M6I_SIZES = ['large', 'xlarge', '2xlarge', '4xlarge', '8xlarge', '12xlarge', '16xlarge'];

describe("describeInstanceFamily: the seed's family from DescribeInstanceTypes (moto's catalogue)", () => {
  it('m6i.* is every m6i size (not m6id, m6in, …), described for the planner', async () => {
    const family = await describeInstanceFamily(ec2Client('eu-west-1'), 'm6i.large');
    expect(Object.keys(family).sort()).toEqual(
      [...M6I_SIZES, '24xlarge', '32xlarge', 'metal'].map((size) => `m6i.${size}`).sort(),
    );
    expect(family['m6i.large']).toEqual({
      name: 'm6i.large',
      vcpus: 2,
      memoryMiB: 8192,
      architecture: 'x86_64',
      virtualization: 'hvm',
      enaSupported: true,
      nvmeSupported: true,
      offeredInZones: ['eu-west-1a', 'eu-west-1b', 'eu-west-1c'],
    });
    expect(deriveLadder('m6i.xlarge', family, 'cpu', ['eu-west-1a', 'eu-west-1b'])).toEqual({
      ladder: [...M6I_SIZES, '24xlarge', '32xlarge'].map((size) => `m6i.${size}`),
      dropped: [
        {
          type: 'm6i.metal',
          reason: 'a bare-metal size: never derived, name it in an explicit ladder',
        },
      ],
    });
  });

  it('c7g.* is arm64 from medium up, ordered by memory for a memory group', async () => {
    const family = await describeInstanceFamily(ec2Client('eu-west-1'), 'c7g.xlarge');
    expect(Object.values(family).every((info) => info.architecture === 'arm64')).toBe(true);
    expect(deriveLadder('c7g.xlarge', family, 'memory', ['eu-west-1c']).ladder).toEqual(
      ['medium', 'large', 'xlarge', '2xlarge', '4xlarge', '8xlarge', '12xlarge', '16xlarge'].map(
        (size) => `c7g.${size}`,
      ),
    );
  });

  it("drops the sizes a node's zone does not offer (c5d in us-east-1d)", async () => {
    const family = await describeInstanceFamily(ec2Client('us-east-1'), 'c5d.large');
    const { ladder, dropped } = deriveLadder('c5d.large', family, 'cpu', [
      'us-east-1a',
      'us-east-1d',
    ]);
    expect(ladder).toEqual(
      ['large', 'xlarge', '2xlarge', '4xlarge', '9xlarge', '18xlarge'].map((size) => `c5d.${size}`),
    );
    expect(dropped).toEqual([
      { type: 'c5d.12xlarge', reason: 'c5d.12xlarge is not offered in us-east-1d' },
      { type: 'c5d.24xlarge', reason: 'c5d.24xlarge is not offered in us-east-1d' },
      { type: 'c5d.metal', reason: expect.stringMatching(/bare-metal/) },
    ]);
  });

  it('types that list i386 first are x86_64 nodes: t2.micro steps to t2.large', async () => {
    const family = await describeInstanceFamily(ec2Client('eu-west-1'), 't2.large');
    expect(family['t2.micro']).toMatchObject({ architecture: 'x86_64', enaSupported: false });
    expect(deriveLadder('t2.large', family, 'cpu', ['eu-west-1a']).ladder).toEqual(
      ['nano', 'micro', 'small', 'medium', 'large', 'xlarge', '2xlarge'].map(
        (size) => `t2.${size}`,
      ),
    );
  });

  it('an unknown family describes nothing', async () => {
    expect(await describeInstanceFamily(ec2Client('eu-west-1'), 'zz9.large')).toEqual({});
  });

  it('describeInstanceTypes still describes exactly the named types', async () => {
    const types = await describeInstanceTypes(ec2Client('eu-west-1'), [
      'm6i.large',
      'c7g.large',
      'm6i.large',
    ]);
    expect(Object.keys(types).sort()).toEqual(['c7g.large', 'm6i.large']);
    expect(types['c7g.large']).toMatchObject({ vcpus: 2, memoryMiB: 4096, architecture: 'arm64' });
  });

  it('no names describes nothing (an empty InstanceTypes list would describe the whole catalogue)', async () => {
    expect(await describeInstanceTypes(ec2Client('eu-west-1'), [])).toEqual({});
  });
});
