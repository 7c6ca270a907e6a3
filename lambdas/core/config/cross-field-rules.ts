import { SIDES, type DrpilotConfig, type NodeGroupConfig } from './schema';
import { restoreDrillIssues } from './restore-drill-schema';
import { backupDirectionIssues } from './backup-direction-access';
import { kubernetesAccess } from './kubernetes-access';

export type ConfigIssue = { path: (string | number)[]; message: string };

/** Rules that span fields; each names the field a person has to change. */
export function crossFieldIssues(config: DrpilotConfig): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const { clusters, dns, backups } = config;

  if (clusters.primary.region === clusters.dr.region) {
    issues.push({
      path: ['clusters', 'dr', 'region'],
      message: `must differ from clusters.primary.region (${clusters.primary.region})`,
    });
  }
  if (clusters.primary.endpoint === clusters.dr.endpoint) {
    issues.push({
      path: ['clusters', 'dr', 'endpoint'],
      message: 'must differ from clusters.primary.endpoint',
    });
  }
  if (clusters.primary.healthAlarm === clusters.dr.healthAlarm) {
    issues.push({
      path: ['clusters', 'dr', 'healthAlarm'],
      message: 'must differ from clusters.primary.healthAlarm',
    });
  }
  if (dns.drillRecordName === dns.recordName) {
    issues.push({
      path: ['dns', 'drillRecordName'],
      message: 'must differ from dns.recordName, or a drill would move customer traffic',
    });
  }
  for (const side of SIDES) {
    if (dns.recordName === clusters[side].endpoint) {
      issues.push({
        path: ['dns', 'recordName'],
        message: `must differ from clusters.${side}.endpoint: the main record points at the endpoints`,
      });
    }
  }
  if (backups.buckets.primary.bucket === backups.buckets.dr.bucket) {
    issues.push({
      path: ['backups', 'buckets', 'dr', 'bucket'],
      message:
        'must differ from backups.buckets.primary.bucket: re-sync copies between two buckets',
    });
  }
  if (new Set(backups.acceptPhases).size !== backups.acceptPhases.length) {
    issues.push({ path: ['backups', 'acceptPhases'], message: 'lists a phase twice' });
  }
  if (backups.restoreDrill) {
    for (const issue of restoreDrillIssues(backups.restoreDrill))
      issues.push({ ...issue, path: ['backups', 'restoreDrill', ...issue.path] });
  }
  if (backups.velero) {
    for (const issue of backupDirectionIssues(backups.velero, backups.restoreDrill))
      issues.push({ ...issue, path: ['backups', 'velero', ...issue.path] });
  }

  const seenIds = new Map<string, number>();
  config.nodeGroups.forEach((group, i) => {
    const at = (...rest: (string | number)[]) => ['nodeGroups', i, ...rest];
    const firstIndex = seenIds.get(group.id);
    if (firstIndex !== undefined) {
      issues.push({
        path: at('id'),
        message: `duplicate node group id "${group.id}" (also nodeGroups[${firstIndex}])`,
      });
    } else {
      seenIds.set(group.id, i);
    }
    if (!(SIDES as readonly string[]).includes(group.cluster)) {
      issues.push({
        path: at('cluster'),
        message: `unknown cluster "${group.cluster}": expected one of "primary", "dr"`,
      });
    }
    const duplicates = group.ladder.filter((type, j) => group.ladder.indexOf(type) !== j);
    if (duplicates.length > 0) {
      issues.push({
        path: at('ladder'),
        message: `lists ${[...new Set(duplicates)].join(', ')} more than once`,
      });
    }
    if (group.scaleDownAt >= group.scaleUpAt) {
      issues.push({
        path: at('scaleDownAt'),
        message: `must be below scaleUpAt (${group.scaleUpAt}), got ${group.scaleDownAt}`,
      });
    } else if (group.scaleDownAt * group.maxStepRatio >= group.scaleUpAt) {
      issues.push({
        path: at('scaleDownAt'),
        message: `scaleDownAt × maxStepRatio (${group.scaleDownAt} × ${group.maxStepRatio}) must stay below scaleUpAt (${group.scaleUpAt}), or a step down would trigger a step up`,
      });
    }
    issues.push(...selectorIssues(group, at), ...groupAlarmIssues(group, at));
  });

  const vpnIds = config.tunnels?.vpnConnections.map((c) => c.id) ?? [];
  vpnIds.forEach((id, j) => {
    if (vpnIds.indexOf(id) !== j) {
      issues.push({
        path: ['tunnels', 'vpnConnections', j, 'id'],
        message: `duplicate VPN connection id "${id}"`,
      });
    }
  });

  const clusterRegions = SIDES.map((side) => clusters[side].region);
  config.tunnels?.vpnConnections.forEach((connection, j) => {
    if (!clusterRegions.includes(connection.region)) {
      issues.push({
        path: ['tunnels', 'vpnConnections', j, 'region'],
        message: `must be a cluster region (${clusterRegions.join(' or ')}): its tunnel alarms live in that region's stack`,
      });
    }
    const [first, second] = connection.outsideIps;
    if (first !== undefined && first === second) {
      issues.push({
        path: ['tunnels', 'vpnConnections', j, 'outsideIps', 1],
        message: 'the two tunnels of a connection have different outside IPs',
      });
    }
  });

  if (config.azure) {
    const zones = config.azure.zones;
    zones.forEach((zone, j) => {
      if (zones.indexOf(zone) !== j)
        issues.push({ path: ['azure', 'zones', j], message: `duplicate zone "${zone}"` });
    });
    if (config.azure.mode === 'private-resolver' && !config.azure.forwardingRulesetId) {
      issues.push({
        path: ['azure', 'forwardingRulesetId'],
        message: 'required when azure.mode is "private-resolver"',
      });
    }
  }
  return issues;
}

function selectorIssues(
  group: NodeGroupConfig,
  at: (...rest: (string | number)[]) => (string | number)[],
): ConfigIssue[] {
  const { selector, kind } = group;
  switch (kind) {
    case 'ec2': {
      const issues: ConfigIssue[] = [];
      if (!selector.tag)
        issues.push({
          path: at('selector', 'tag'),
          message: 'required for kind "ec2": instances are selected by tag',
        });
      if (!group.kubernetes)
        issues.push({
          path: at('kubernetes'),
          message: 'required for kind "ec2": nodes are drained through the Kubernetes API',
        });
      else {
        const access = kubernetesAccess(group.kubernetes);
        if (!access.ok)
          issues.push({ path: at('kubernetes', ...access.path), message: access.message });
      }
      return issues;
    }
    case 'asg':
      return selector.autoScalingGroupName || selector.tag
        ? []
        : [
            {
              path: at('selector'),
              message: 'kind "asg" needs selector.autoScalingGroupName or selector.tag',
            },
          ];
    case 'eks-managed':
      return selector.eks
        ? []
        : [
            {
              path: at('selector', 'eks'),
              message: 'required for kind "eks-managed": { clusterName, nodegroupName }',
            },
          ];
  }
}

/**
 * An Auto Scaling group's AutoScalingGroupName dimension already covers all its instances, so
 * its kinds have one alarm pair per Auto Scaling group: alarms "group" would promise an agent
 * rollup drpilot never alarms on.
 */
function groupAlarmIssues(
  group: NodeGroupConfig,
  at: (...rest: (string | number)[]) => (string | number)[],
): ConfigIssue[] {
  return group.kind !== 'ec2' && group.alarms === 'group'
    ? [
        {
          path: at('alarms'),
          message: `"group" is for kind "ec2" only: a kind "${group.kind}" group is alarmed per Auto Scaling group (AutoScalingGroupName covers its instances); use "auto" or "members"`,
        },
      ]
    : [];
}
