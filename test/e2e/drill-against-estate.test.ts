import { SetAlarmStateCommand } from '@aws-sdk/client-cloudwatch';
import { describe, expect, it } from 'vitest';
import { cloudWatchClient } from '../../lambdas/aws/clients';
import { useMoto } from '../support/moto';
import { runCli } from '../support/run-cli';
import { seedExampleEstate } from '../support/seeded-estate';

useMoto();

describe('drpilot drill full against an existing estate (not embedded)', () => {
  it('passes on a healthy estate and reports figures as not emulated', async () => {
    const estate = await seedExampleEstate();
    const run = await runCli(['drill', 'full', '--config', estate.configFile, '--json']);
    expect(run.code).toBe(0);
    expect(run.json()).toMatchObject({ ok: true, emulated: false });
    expect(run.json().steps).toHaveLength(7);
    expect(run.json().rpoSeconds).toBeGreaterThan(0);
  });

  it('fails with exit 1 and names the problem when a cluster is unhealthy', async () => {
    const estate = await seedExampleEstate();
    await cloudWatchClient('us-east-1').send(
      new SetAlarmStateCommand({
        AlarmName: 'acme-dr-health',
        StateValue: 'ALARM',
        StateReason: 'test',
      }),
    );
    const run = await runCli(['drill', 'full', '--config', estate.configFile, '--json']);
    expect(run.code).toBe(1);
    const result = run.json();
    expect(result.ok).toBe(false);
    expect(result.steps).toHaveLength(1);
    expect(result.steps[0]).toMatchObject({ ok: false, detail: 'dr is not healthy (ALARM)' });
  });
});
