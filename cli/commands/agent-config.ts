import type { Command } from 'commander';
import {
  agentConfigFragment,
  groupDimensions,
  groupMetric,
} from '../../lambdas/core/resize/agent-config';
import type { CommandContext } from '../command-context';
import { ExitCode } from '../exit-codes';
import { configOrReport } from '../load-config-or-exit';
import { usageError } from '../manual-request';

/**
 * `drpilot agent-config <groupId>`: the CloudWatch agent config fragment every member of a kind
 * ec2 node group needs for alarms "group" (or "auto" to pick it up). Pure: reads only the config.
 */
export function registerAgentConfig(program: Command, context: CommandContext): void {
  program
    .command('agent-config')
    .description(
      'the CloudWatch agent config fragment that lets one alarm pair cover a kind ec2 node group (alarms "group" or "auto"): merge it into each member\'s amazon-cloudwatch-agent.json',
    )
    .argument('<groupId>', 'a kind ec2 node group of the config')
    .action((groupId: string, _flags: unknown, command: Command) => {
      const { io, options, output } = context.for(command);
      const config = configOrReport(options, io, output);
      if (!config) return context.exit(ExitCode.usage);
      const group = config.nodeGroups.find((g) => g.id === groupId);
      if (!group) {
        const known = config.nodeGroups.map((g) => g.id).join(', ') || 'none';
        return usageError(
          context,
          output,
          'agent-config',
          `unknown node group "${groupId}" (configured: ${known})`,
        );
      }
      if (group.kind !== 'ec2') {
        return usageError(
          context,
          output,
          'agent-config',
          `node group "${groupId}" is of kind "${group.kind}": its alarms watch each Auto Scaling group (AutoScalingGroupName), no agent rollup is needed`,
        );
      }
      const fragment = agentConfigFragment(group);
      const { namespace, metricName } = groupMetric(group.metric);
      const alarmed = { namespace, metricName, dimensions: groupDimensions(group.id) };
      if (!options.json) {
        // The explanation on stderr, so stdout is the fragment alone: `> fragment.json` works.
        output.log(
          `node group ${group.id} (alarms "${group.alarms}"): one alarm pair on ${namespace} ${metricName} with ${alarmed.dimensions.map((d) => `${d.name}=${d.value}`).join(', ')}; merge this into the metrics section of each member's amazon-cloudwatch-agent.json (docs/resize.md)`,
        );
      }
      output.result({ group: group.id, alarms: group.alarms, alarmed, fragment }, () =>
        JSON.stringify(fragment, null, 2),
      );
      context.exit(ExitCode.done);
    });
}
