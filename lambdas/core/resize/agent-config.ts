/**
 * The CloudWatch agent's share of a node group in alarms mode "group": every member publishes the
 * alarmed metric with the one dimension `DrpilotGroup=<group id>`, and CloudWatch aggregates the
 * datapoints of all publishers of the same dimension set, as it does for an Auto Scaling group's
 * `AutoScalingGroupName` rollup. One alarm pair on that metric covers the whole group. Pure: the
 * alarm planner (./member-alarms.ts) and the fragment below read the same table, so they cannot
 * drift apart.
 *
 * The agent's fields, from "Manually create or edit the CloudWatch agent configuration file"
 * (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch-Agent-Configuration-File-Details.html)
 * and the common scenarios "Adding custom dimensions to metrics collected by the CloudWatch agent"
 * and "Aggregating or rolling up metrics collected by the CloudWatch agent"
 * (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch-Agent-common-scenarios.html):
 * - a plugin's own `append_dimensions` takes arbitrary key/value pairs, added to that plugin's
 *   metrics only (the `metrics`-level one takes only the `${aws:…}` keys);
 * - `metrics.aggregation_dimensions` lists dimension sets to roll every metric up on: a metric that
 *   carries all of a set's dimensions is also sent with that set alone;
 * - a plugin's `drop_original_metrics` lists metrics whose original (per-dimension) series are not
 *   sent, only the rolled-up ones; the agent rolls up only on a set smaller than the original's
 *   dimensions (ProcessRollup in aws/amazon-cloudwatch-agent plugins/outputs/cloudwatch/
 *   cloudwatch.go), so a dropped original with no smaller set is not sent at all — every set
 *   below is smaller (test/unit/resize-agent-config.test.ts);
 * - the host dimension is added unless the metrics-level `append_dimensions` is set (`omit_hostname`
 *   in the agent's translator/config/schema.json);
 * - a metric is named `<plugin>_<measurement>` in the namespace `CWAgent` unless
 *   `metrics.namespace` says otherwise; the cpu plugin's `totalcpu` (default true) reports the
 *   average over all cores.
 */
import type { ResizeMetric } from './instance-types';

/** The dimension every member adds to the group's metric. */
export const GROUP_DIMENSION = 'DrpilotGroup';

/** The agent's default namespace, which the fragment leaves as it is. */
export const AGENT_NAMESPACE = 'CWAgent';

/** The agent plugin and measurement that publish each alarmed dimension. */
const GROUP_PLUGINS: Readonly<Record<ResizeMetric, { plugin: string; measurement: string }>> = {
  cpu: { plugin: 'cpu', measurement: 'usage_active' },
  memory: { plugin: 'mem', measurement: 'used_percent' },
};

export interface GroupMetric {
  namespace: string;
  /** `<plugin>_<measurement>`, as the agent names it. */
  metricName: string;
  plugin: string;
  measurement: string;
}

/** The metric of group alarms, by alarmed dimension: cpu_usage_active or mem_used_percent. */
export function groupMetric(metric: ResizeMetric): GroupMetric {
  const { plugin, measurement } = GROUP_PLUGINS[metric];
  return {
    namespace: AGENT_NAMESPACE,
    metricName: `${plugin}_${measurement}`,
    plugin,
    measurement,
  };
}

/** The dimensions the group alarms watch and ListMetrics is asked for. */
export const groupDimensions = (groupId: string) => [{ name: GROUP_DIMENSION, value: groupId }];

/** The part of an agent config (`amazon-cloudwatch-agent.json`) a group's members need. */
export interface AgentConfigFragment {
  metrics: {
    append_dimensions?: Record<string, string>;
    aggregation_dimensions: string[][];
    metrics_collected: Record<
      string,
      {
        measurement: string[];
        totalcpu?: boolean;
        append_dimensions: Record<string, string>;
        drop_original_metrics: string[];
      }
    >;
  };
}

/**
 * What to merge into the agent config of every member of `group`. The rollup on
 * `[GROUP_DIMENSION]` is the group alarms' metric; the originals (with the host, instance and cpu
 * dimensions) are dropped, since nothing reads them and each costs a custom metric per member.
 * Memory keeps `mem_used_percent` by `InstanceId` alone as well (`aggregation_dimensions`
 * `[["InstanceId"]]`): the resize planner reads each node's own memory (lambdas/adapters/aws/
 * node-metrics.ts), while cpu comes per node from AWS/EC2 CPUUtilization, which is free. Note
 * that `aggregation_dimensions` applies to every plugin of the config: a config that already rolls
 * up on `["InstanceId"]` sends cpu_usage_active per instance too (a custom metric per node).
 */
export function agentConfigFragment(group: {
  id: string;
  metric: ResizeMetric;
}): AgentConfigFragment {
  const { plugin, measurement, metricName } = groupMetric(group.metric);
  const perInstance = group.metric === 'memory';
  return {
    metrics: {
      ...(perInstance ? { append_dimensions: { InstanceId: '${aws:InstanceId}' } } : {}),
      aggregation_dimensions: [...(perInstance ? [['InstanceId']] : []), [GROUP_DIMENSION]],
      metrics_collected: {
        [plugin]: {
          measurement: [measurement],
          ...(plugin === 'cpu' ? { totalcpu: true } : {}),
          append_dimensions: { [GROUP_DIMENSION]: group.id },
          drop_original_metrics: [metricName],
        },
      },
    },
  };
}
