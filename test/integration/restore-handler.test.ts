/**
 * The restore function's front doors against moto: what it accepts (its two scheduled payloads and
 * people's requests), what it refuses before touching anything, the hourly publication of the
 * verified RPO, and `drpilot verify-restore` refusing bad requests with the Lambda's words. The
 * drill itself, against real Velero servers, is test/integration/restore-velero.test.ts.
 */
import { readFileSync } from 'node:fs';
import { ListMetricsCommand } from '@aws-sdk/client-cloudwatch';
import type { S3Client } from '@aws-sdk/client-s3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  cloudWatchClient,
  dynamoDbDocumentClient,
  s3Client,
} from '../../lambdas/adapters/aws/clients';
import { StateStore } from '../../lambdas/adapters/aws/state-store';
import type { DrpilotConfig } from '../../lambdas/core/config/schema';
import type { VerifiedRestores } from '../../lambdas/core/restore/verified-rpo';
import { stateKeys } from '../../lambdas/core/state-keys';
import { handler } from '../../lambdas/restore/handler';
import { useMoto } from '../support/moto';
import { runCli } from '../support/run-cli';
import { configWithRestoreDrill, seedRestoreEstate } from '../support/velero';
import { configFile } from '../support/temp-dir';

useMoto();

const fixtures = new URL('../fixtures/events/', import.meta.url);
const load = (path: string) => JSON.parse(readFileSync(new URL(path, fixtures), 'utf8'));
const context = { awsRequestId: 'test-request' } as never;

function countRequests(s3: S3Client): { count: number } {
  const counter = { count: 0 };
  s3.middlewareStack.add(
    (next) => async (args) => {
      counter.count++;
      return next(args);
    },
    { step: 'initialize', name: 'countRequests' },
  );
  return counter;
}

/** The zone, the state table, both buckets (the DR one empty) and the kubeconfig secret. */
async function seed(): Promise<{ config: DrpilotConfig; configFile: string }> {
  const config = await seedRestoreEstate(configWithRestoreDrill({}), '{}');
  return { config, configFile: configFile(config, 'drpilot-restore-') };
}

const VERIFIED: VerifiedRestores = {
  bySchedule: {
    daily: {
      backup: 'daily-20261121',
      schedule: 'daily',
      completionTimestamp: '2026-11-21T03:00:00Z',
      verifiedAt: '2026-11-21T03:10:00Z',
      drillId: 'ab12cd',
    },
  },
};

async function verifiedRpoMetrics(): Promise<string[]> {
  const { Metrics } = await cloudWatchClient('us-east-1').send(
    new ListMetricsCommand({ Namespace: 'drpilot', MetricName: 'VerifiedRpoSeconds' }),
  );
  return (Metrics ?? [])
    .map((m) => (m.Dimensions ?? []).map((d) => `${d.Name}=${d.Value}`).join(',') || '(none)')
    .sort();
}

describe('restore handler', () => {
  let config: DrpilotConfig;
  beforeEach(async () => {
    ({ config } = await seed());
    process.env.DRPILOT_CONFIG_JSON = JSON.stringify(config);
  });
  afterEach(() => {
    delete process.env.DRPILOT_CONFIG_JSON;
  });

  it('publishes the recorded verified RPO, aged to now, per schedule and overall (hourly payload)', async () => {
    const store = new StateStore(dynamoDbDocumentClient('us-east-1'), config.stateTable);
    await store.writeValue(stateKeys.restoreVerified(), VERIFIED);
    const report = await handler({ action: 'publish-verified-rpo', reason: 'hourly' }, context);
    expect(report).toMatchObject({
      overall: { backup: 'daily-20261121', schedule: 'daily' },
      schedules: [{ schedule: 'daily' }],
    });
    expect(await verifiedRpoMetrics()).toEqual(['(none)', 'Schedule=daily']);
  });

  it('publishes nothing before the first verified drill, so the alarm (missing = breaching) fires', async () => {
    const report = await handler({ action: 'publish-verified-rpo', reason: 'hourly' }, context);
    expect(report).toMatchObject({ overall: null, schedules: [] });
    expect(await verifiedRpoMetrics()).toEqual([]);
  });

  it('refuses a drill when the DR bucket holds no restorable backup, before reading the cluster', async () => {
    const result = await handler({ action: 'verify-restore', reason: 'scheduled' }, context);
    expect(result).toMatchObject({
      outcome: 'refused',
      reason:
        "the DR side's bucket acme-velero-eu-central-1 holds no restorable backup: run the re-sync first",
      restore: null,
      cleanup: null,
    });
  });

  it('rejects alarms, other actions and bad backup names before any S3 request', async () => {
    const requests = [
      countRequests(s3Client('eu-west-1')),
      countRequests(s3Client('eu-central-1')),
    ];
    await expect(handler(load('eventbridge-single-metric.json'), context)).rejects.toThrow(
      /not on alarms/,
    );
    await expect(handler({ action: 'resync' }, context)).rejects.toThrow(
      /not an action this function carries out; expected one of \[verify-restore, publish-verified-rpo\]/,
    );
    await expect(handler({ action: 'verify-restore', backup: '../x' }, context)).rejects.toThrow(
      /backup: expected a Velero backup name/,
    );
    await expect(
      handler({ action: 'verify-restore', groupId: 'primary-workers' }, context),
    ).rejects.toThrow(/groupId: only applies to action "resize"/);
    expect(requests.map((r) => r.count)).toEqual([0, 0]);
  });

  it('refuses a drill without backups.restoreDrill with the same words as the CLI', async () => {
    const backups: Partial<DrpilotConfig['backups']> = { ...config.backups };
    delete backups.restoreDrill;
    process.env.DRPILOT_CONFIG_JSON = JSON.stringify({ ...config, backups });
    await expect(handler({ action: 'verify-restore', reason: 'x' }, context)).rejects.toThrow(
      "action: verify-restore needs backups.restoreDrill in the config (the DR cluster's kubeconfigSecret and Velero namespace)",
    );
  });
});

describe('drpilot verify-restore', () => {
  let configFile: string;
  beforeEach(async () => {
    ({ configFile } = await seed());
  });

  it('is a usage error (exit 2) for a bad --backup, naming the field, before any AWS call', async () => {
    const requests = countRequests(s3Client('eu-central-1'));
    const run = await runCli([
      'verify-restore',
      '--config',
      configFile,
      '--backup',
      '../etc',
      '--json',
    ]);
    expect(run.code).toBe(2);
    expect(run.json().error).toMatchObject({
      kind: 'usage',
      issues: [
        { path: 'backup', message: expect.stringMatching(/^expected a Velero backup name/) },
      ],
    });
    expect(requests.count).toBe(0);
  });

  it('refuses (exit 3) when the DR side holds nothing to restore, and says so', async () => {
    const run = await runCli(['verify-restore', '--config', configFile]);
    expect(run.code).toBe(3);
    expect(run.stdout).toBe(
      "verify-restore refused: the DR side's bucket acme-velero-eu-central-1 holds no restorable backup: run the re-sync first\n",
    );
  });
});
