import type { InstanceTypeInfo } from '../../lambdas/core/resize/instance-types';

/** The zones the planner tests' nodes run in; every fixture type is offered in all of them. */
export const ZONES = ['eu-west-1a', 'eu-west-1b', 'eu-west-1c'];

/** An x86_64 HVM type with ENA and NVMe, offered in ZONES, unless `extra` says otherwise. */
export function instanceType(
  name: string,
  vcpus: number,
  memoryMiB: number,
  extra: Partial<InstanceTypeInfo> = {},
): InstanceTypeInfo {
  return {
    name,
    vcpus,
    memoryMiB,
    architecture: 'x86_64',
    virtualization: 'hvm',
    enaSupported: true,
    nvmeSupported: true,
    offeredInZones: ZONES,
    ...extra,
  };
}
