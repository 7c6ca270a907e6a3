import { describe, expect, it } from 'vitest';
import { agentConfigFragment } from '../../lambdas/core/resize/agent-config';
import { EXAMPLE_CONFIG_PATH } from '../support/example-config';
import { runCli } from '../support/run-cli';

describe('drpilot agent-config', () => {
  it('prints the fragment alone on stdout, the explanation on stderr', async () => {
    const run = await runCli(['agent-config', 'dr-workers', '--config', EXAMPLE_CONFIG_PATH]);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual(
      agentConfigFragment({ id: 'dr-workers', metric: 'memory' }),
    );
    expect(run.stderr).toContain('CWAgent mem_used_percent with DrpilotGroup=dr-workers');
  });

  it('--json: the group, its alarms mode, the alarmed metric and the fragment', async () => {
    const run = await runCli([
      'agent-config',
      'primary-workers',
      '--config',
      EXAMPLE_CONFIG_PATH,
      '--json',
    ]);
    expect(run.code).toBe(0);
    expect(run.json()).toEqual({
      group: 'primary-workers',
      alarms: 'auto',
      alarmed: {
        namespace: 'CWAgent',
        metricName: 'cpu_usage_active',
        dimensions: [{ name: 'DrpilotGroup', value: 'primary-workers' }],
      },
      fragment: agentConfigFragment({ id: 'primary-workers', metric: 'cpu' }),
    });
  });

  it('exits 2 for an unknown node group, naming the configured ones', async () => {
    const run = await runCli(['agent-config', 'nope', '--config', EXAMPLE_CONFIG_PATH, '--json']);
    expect(run.code).toBe(2);
    expect(run.json().error).toMatchObject({
      kind: 'usage',
      message: 'unknown node group "nope" (configured: primary-workers, dr-workers)',
    });
  });
});
