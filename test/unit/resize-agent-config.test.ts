import { describe, expect, it } from 'vitest';
import { agentConfigFragment } from '../../lambdas/core/resize/agent-config';
import { MEMBER_METRICS, wantedGroupAlarms } from '../../lambdas/core/resize/member-alarms';

const config = { name: 'acme' };
const group = (metric: 'cpu' | 'memory') => ({
  id: 'primary-workers',
  metric,
  scaleUpAt: 75,
  scaleDownAt: 30,
});

/** A metric's original dimensions as the agent tags them, by plugin. */
function originalDimensions(
  fragment: ReturnType<typeof agentConfigFragment>,
  plugin: string,
  instanceId: string,
): Record<string, string> {
  const { metrics } = fragment;
  const settings = metrics.metrics_collected[plugin]!;
  return {
    // "Hostname will be tagged by default unless you specifying append_dimensions" (omit_hostname,
    // aws/amazon-cloudwatch-agent translator/config/schema.json): the metrics-level one.
    ...(metrics.append_dimensions ? {} : { host: 'ip-10-0-0-1' }),
    ...(plugin === 'cpu' ? { cpu: 'cpu-total' } : {}),
    ...(metrics.append_dimensions ? { InstanceId: instanceId } : {}),
    ...settings.append_dimensions,
  };
}

/**
 * The metrics the agent sends for one member under the fragment, as dimension sets by name. A
 * rollup is made only for a set smaller than the original's dimensions, all of them present
 * (ProcessRollup, aws/amazon-cloudwatch-agent plugins/outputs/cloudwatch/cloudwatch.go: "skip if
 * target dimensions count is same or more than the original metric"); a dropped original with no
 * rollup sends nothing at all.
 */
function published(fragment: ReturnType<typeof agentConfigFragment>, instanceId: string) {
  const { metrics } = fragment;
  const out: { metricName: string; dimensions: Record<string, string> }[] = [];
  for (const [plugin, settings] of Object.entries(metrics.metrics_collected)) {
    for (const measurement of settings.measurement) {
      const metricName = `${plugin}_${measurement}`;
      const original = originalDimensions(fragment, plugin, instanceId);
      if (!settings.drop_original_metrics.includes(metricName))
        out.push({ metricName, dimensions: original });
      for (const set of metrics.aggregation_dimensions) {
        if (set.length < Object.keys(original).length && set.every((name) => name in original))
          out.push({
            metricName,
            dimensions: Object.fromEntries(set.map((name) => [name, original[name]!])),
          });
      }
    }
  }
  return out;
}

describe('the CloudWatch agent fragment of a node group', () => {
  it.each(['cpu', 'memory'] as const)(
    '%s: a member publishes exactly the metric and dimensions the group alarms watch',
    (metric) => {
      const fragment = agentConfigFragment(group(metric));
      const [up] = wantedGroupAlarms(config, group(metric)).alarms;
      const sent = published(fragment, 'i-0abc');
      expect(sent).toContainEqual({
        metricName: up!.spec.metricName,
        dimensions: Object.fromEntries(up!.spec.dimensions.map((d) => [d.name, d.value])),
      });
      // Nothing per host: the originals would cost a custom metric per member.
      expect(sent.filter((m) => 'host' in m.dimensions)).toEqual([]);
    },
  );

  it.each(['cpu', 'memory'] as const)(
    '%s: every rollup is smaller than the original it comes from, so dropping the original never silences the metric',
    (metric) => {
      const fragment = agentConfigFragment(group(metric));
      for (const plugin of Object.keys(fragment.metrics.metrics_collected)) {
        const original = originalDimensions(fragment, plugin, 'i-0abc');
        for (const set of fragment.metrics.aggregation_dimensions) {
          expect(set.length).toBeLessThan(Object.keys(original).length);
          expect(set.filter((name) => !(name in original))).toEqual([]);
        }
      }
    },
  );

  it('memory also keeps mem_used_percent by InstanceId alone, which the resize planner reads', () => {
    const sent = published(agentConfigFragment(group('memory')), 'i-0abc');
    expect(MEMBER_METRICS.memory.metricName).toBe('mem_used_percent');
    expect(sent).toEqual([
      { metricName: 'mem_used_percent', dimensions: { InstanceId: 'i-0abc' } },
      { metricName: 'mem_used_percent', dimensions: { DrpilotGroup: 'primary-workers' } },
    ]);
  });

  it('cpu sends only the group rollup: the planner reads AWS/EC2 CPUUtilization per node', () => {
    const fragment = agentConfigFragment(group('cpu'));
    expect(MEMBER_METRICS.cpu.namespace).toBe('AWS/EC2');
    expect(published(fragment, 'i-0abc')).toEqual([
      { metricName: 'cpu_usage_active', dimensions: { DrpilotGroup: 'primary-workers' } },
    ]);
    expect(fragment).toEqual({
      metrics: {
        aggregation_dimensions: [['DrpilotGroup']],
        metrics_collected: {
          cpu: {
            measurement: ['usage_active'],
            totalcpu: true,
            append_dimensions: { DrpilotGroup: 'primary-workers' },
            drop_original_metrics: ['cpu_usage_active'],
          },
        },
      },
    });
  });
});
