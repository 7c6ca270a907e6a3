/**
 * What a resize plan needs to know about an instance type, as `DescribeInstanceTypes`
 * (vCPUs, memory, architecture, virtualization, ENA and NVMe support) and
 * `DescribeInstanceTypeOfferings` (location type `availability-zone`) give it. An adapter fills
 * it; the planner only reads it. Pure.
 */

export type Architecture = 'x86_64' | 'arm64' | 'i386' | 'x86_64_mac' | 'arm64_mac';
export type Virtualization = 'hvm' | 'paravirtual';

/** The alarmed dimension of a node group (`NodeGroupConfig['metric']`). */
export type ResizeMetric = 'cpu' | 'memory';

export interface InstanceTypeInfo {
  /** e.g. `m6i.large`. */
  name: string;
  vcpus: number;
  memoryMiB: number;
  architecture: Architecture;
  virtualization: Virtualization;
  /** ENA is `supported` or `required` (not `unsupported`). */
  enaSupported: boolean;
  /** EBS NVMe is `supported` or `required` (not `unsupported`). */
  nvmeSupported: boolean;
  /** Availability zones (names, e.g. `eu-west-1a`) where the type is offered. */
  offeredInZones: string[];
}

export type Compatibility = { ok: true } | { ok: false; reasons: string[] };

/** The capacity of one node of `type` on the alarmed dimension: vCPUs, or memory in MiB. */
export function capacityOf(type: InstanceTypeInfo, metric: ResizeMetric): number {
  return metric === 'cpu' ? type.vcpus : type.memoryMiB;
}

/** The unit `capacityOf` counts in. */
export function capacityUnit(metric: ResizeMetric): 'vCPU' | 'MiB' {
  return metric === 'cpu' ? 'vCPU' : 'MiB';
}

/**
 * Whether a node of type `from` may be changed to type `to` in place: the same architecture and
 * virtualization (the AMI must still boot), no loss of ENA or NVMe support (the AMI's drivers and
 * the network/disk setup rely on them), and `to` offered in every zone in `zones` (the zones the
 * group's nodes are in). Every failure is listed, in that order.
 */
export function compatible(
  from: InstanceTypeInfo,
  to: InstanceTypeInfo,
  zones: readonly string[],
): Compatibility {
  const reasons: string[] = [];
  if (from.architecture !== to.architecture) {
    reasons.push(
      `${to.name} is ${to.architecture}, ${from.name} is ${from.architecture}: the architecture never changes`,
    );
  }
  if (from.virtualization !== to.virtualization) {
    reasons.push(
      `${to.name} uses ${to.virtualization} virtualization, ${from.name} ${from.virtualization}: the virtualization never changes`,
    );
  }
  if (from.enaSupported && !to.enaSupported) {
    reasons.push(`${to.name} lacks ENA support, which ${from.name} has`);
  }
  if (from.nvmeSupported && !to.nvmeSupported) {
    reasons.push(`${to.name} lacks NVMe support, which ${from.name} has`);
  }
  const offered = new Set(to.offeredInZones);
  const missing = [...new Set(zones)].filter((zone) => !offered.has(zone)).sort();
  if (missing.length > 0) {
    reasons.push(`${to.name} is not offered in ${missing.join(', ')}`);
  }
  return reasons.length === 0 ? { ok: true } : { ok: false, reasons };
}
