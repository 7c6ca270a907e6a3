import {
  paginateDescribeInstanceTypeOfferings,
  paginateDescribeInstanceTypes,
  type _InstanceType,
  type EC2Client,
} from '@aws-sdk/client-ec2';
import type { InstanceTypeInfo } from '../core/resize/instance-types';

/**
 * What the resize planner needs to know of instance types: size, architecture, virtualization,
 * ENA/NVMe support (DescribeInstanceTypes) and the zones that offer them
 * (DescribeInstanceTypeOfferings by availability zone).
 */
export async function describeInstanceTypes(
  ec2: EC2Client,
  names: readonly string[],
): Promise<Record<string, InstanceTypeInfo>> {
  const wanted = [...new Set(names)] as _InstanceType[];
  const zones = new Map<string, string[]>();
  for await (const page of paginateDescribeInstanceTypeOfferings(
    { client: ec2 },
    { LocationType: 'availability-zone', Filters: [{ Name: 'instance-type', Values: wanted }] },
  )) {
    for (const offering of page.InstanceTypeOfferings ?? []) {
      if (!offering.InstanceType || !offering.Location) continue;
      zones.set(offering.InstanceType, [
        ...(zones.get(offering.InstanceType) ?? []),
        offering.Location,
      ]);
    }
  }
  const types: Record<string, InstanceTypeInfo> = {};
  for await (const page of paginateDescribeInstanceTypes(
    { client: ec2 },
    { InstanceTypes: wanted },
  )) {
    for (const t of page.InstanceTypes ?? []) {
      if (!t.InstanceType) continue;
      types[t.InstanceType] = {
        name: t.InstanceType,
        vcpus: t.VCpuInfo?.DefaultVCpus ?? 0,
        memoryMiB: t.MemoryInfo?.SizeInMiB ?? 0,
        architecture: (t.ProcessorInfo?.SupportedArchitectures?.[0] ??
          'x86_64') as InstanceTypeInfo['architecture'],
        virtualization: (t.SupportedVirtualizationTypes?.includes('hvm')
          ? 'hvm'
          : 'paravirtual') as InstanceTypeInfo['virtualization'],
        enaSupported:
          t.NetworkInfo?.EnaSupport !== undefined && t.NetworkInfo.EnaSupport !== 'unsupported',
        nvmeSupported:
          t.EbsInfo?.NvmeSupport !== undefined && t.EbsInfo.NvmeSupport !== 'unsupported',
        offeredInZones: (zones.get(t.InstanceType) ?? []).sort(),
      };
    }
  }
  return types;
}
