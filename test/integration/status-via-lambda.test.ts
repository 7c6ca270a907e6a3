import { afterEach, describe, expect, it } from 'vitest';
import { clearAwsClientCache } from '../../lambdas/adapters/aws/clients';
import { handler } from '../../lambdas/status/handler';
import { startFakeLambdaInvoke } from '../support/fake-lambda-invoke';
import { useMoto } from '../support/moto';
import { runCli } from '../support/run-cli';
import { seedExampleEstate } from '../support/seeded-estate';

useMoto();

describe('drpilot status --via lambda (fake Lambda Invoke API: moto needs Docker to run functions)', () => {
  let close: (() => Promise<void>) | undefined;
  afterEach(async () => {
    delete process.env.AWS_ENDPOINT_URL_LAMBDA;
    delete process.env.DRPILOT_CONFIG_JSON;
    clearAwsClientCache();
    await close?.();
  });

  async function lambdaServing(functions: Parameters<typeof startFakeLambdaInvoke>[0]) {
    const fake = await startFakeLambdaInvoke(functions);
    close = fake.close;
    process.env.AWS_ENDPOINT_URL_LAMBDA = fake.endpoint;
    clearAwsClientCache();
    return fake;
  }

  it('invokes <name>-drpilot-status and prints the same status as --via local', async () => {
    const estate = await seedExampleEstate();
    process.env.DRPILOT_CONFIG_JSON = JSON.stringify(estate.config);
    const fake = await lambdaServing({ 'acme-drpilot-status': handler });

    const viaLambda = await runCli([
      'status',
      '--config',
      estate.configFile,
      '--via',
      'lambda',
      '--json',
    ]);
    const viaLocal = await runCli(['status', '--config', estate.configFile, '--json']);
    expect(viaLambda.code).toBe(0);
    expect(viaLambda.json()).toEqual(viaLocal.json());
    // The node groups' resize alarms as the function observed them (none made yet).
    expect(viaLambda.json().nodeGroups.map((g: { alarms: unknown }) => g.alarms)).toEqual([
      { configured: 'auto', inEffect: 'none', alarmCount: 0 },
      { configured: 'auto', inEffect: 'none', alarmCount: 0 },
    ]);
    expect(fake.invocations).toEqual(['acme-drpilot-status']);
  });

  it('exits 1 and names the function when it is not deployed', async () => {
    const estate = await seedExampleEstate();
    await lambdaServing({});
    const run = await runCli([
      'status',
      '--config',
      estate.configFile,
      '--via',
      'lambda',
      '--json',
    ]);
    expect(run.code).toBe(1);
    expect(run.json().error.message).toContain('Function not found: acme-drpilot-status');
  });

  it('exits 1 with the function error when the handler fails', async () => {
    const estate = await seedExampleEstate();
    await lambdaServing({ 'acme-drpilot-status': handler }); // no DRPILOT_CONFIG_JSON: it throws
    const run = await runCli([
      'status',
      '--config',
      estate.configFile,
      '--via',
      'lambda',
      '--json',
    ]);
    expect(run.code).toBe(1);
    expect(run.json().error.message).toBe(
      'acme-drpilot-status failed: DRPILOT_CONFIG_JSON is not set: the function was built without its config',
    );
  });
});
