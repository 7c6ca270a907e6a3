import {
  paginateDescribeInstanceTypeOfferings,
  paginateDescribeInstanceTypes,
  type _InstanceType,
  type DescribeInstanceTypesRequest,
  type EC2Client,
  type InstanceTypeInfo as Ec2InstanceType,
} from '@aws-sdk/client-ec2';
import { instanceFamily } from '../../core/resize/derived-ladder';
import type { InstanceTypeInfo } from '../../core/resize/instance-types';

/**
 * What the resize planner needs to know of instance types: size, architecture, virtualization,
 * ENA/NVMe support (DescribeInstanceTypes) and the zones that offer them
 * (DescribeInstanceTypeOfferings by availability zone).
 */
export async function describeInstanceTypes(
  ec2: EC2Client,
  names: readonly string[],
): Promise<Record<string, InstanceTypeInfo>> {
  // An empty InstanceTypes list would describe the whole catalogue.
  if (names.length === 0) return {};
  return describe(ec2, { InstanceTypes: [...new Set(names)] as _InstanceType[] });
}

/**
 * Every size of `type`'s family (`m6i.*` for `m6i.large`, bare metal included), described as
 * `describeInstanceTypes` does: the catalogue `deriveLadder` picks from.
 */
export async function describeInstanceFamily(
  ec2: EC2Client,
  type: string,
): Promise<Record<string, InstanceTypeInfo>> {
  return describe(ec2, {
    Filters: [{ Name: 'instance-type', Values: [`${instanceFamily(type)}.*`] }],
  });
}

async function describe(
  ec2: EC2Client,
  request: DescribeInstanceTypesRequest,
): Promise<Record<string, InstanceTypeInfo>> {
  const described: Ec2InstanceType[] = [];
  for await (const page of paginateDescribeInstanceTypes({ client: ec2 }, request)) {
    described.push(...(page.InstanceTypes ?? []).filter((t) => t.InstanceType));
  }
  const zones = await offeredZones(
    ec2,
    described.map((t) => t.InstanceType as _InstanceType),
  );
  const types: Record<string, InstanceTypeInfo> = {};
  for (const t of described) {
    const name = t.InstanceType as string;
    const architectures = t.ProcessorInfo?.SupportedArchitectures ?? [];
    types[name] = {
      name,
      vcpus: t.VCpuInfo?.DefaultVCpus ?? 0,
      memoryMiB: t.MemoryInfo?.SizeInMiB ?? 0,
      // Small x86 types list i386 first (t2.micro: i386, x86_64); a node runs the 64-bit one.
      architecture: (architectures.includes('x86_64')
        ? 'x86_64'
        : (architectures[0] ?? 'x86_64')) as InstanceTypeInfo['architecture'],
      virtualization: t.SupportedVirtualizationTypes?.includes('hvm') ? 'hvm' : 'paravirtual',
      enaSupported:
        t.NetworkInfo?.EnaSupport !== undefined && t.NetworkInfo.EnaSupport !== 'unsupported',
      nvmeSupported:
        t.EbsInfo?.NvmeSupport !== undefined && t.EbsInfo.NvmeSupport !== 'unsupported',
      offeredInZones: (zones.get(name) ?? []).sort(),
    };
  }
  return types;
}

/** The availability zones of this region that offer each of `names`. */
async function offeredZones(
  ec2: EC2Client,
  names: readonly _InstanceType[],
): Promise<Map<string, string[]>> {
  const zones = new Map<string, string[]>();
  if (names.length === 0) return zones;
  for await (const page of paginateDescribeInstanceTypeOfferings(
    { client: ec2 },
    {
      LocationType: 'availability-zone',
      Filters: [{ Name: 'instance-type', Values: [...names] }],
    },
  )) {
    for (const offering of page.InstanceTypeOfferings ?? []) {
      if (!offering.InstanceType || !offering.Location) continue;
      zones.set(offering.InstanceType, [
        ...(zones.get(offering.InstanceType) ?? []),
        offering.Location,
      ]);
    }
  }
  return zones;
}
