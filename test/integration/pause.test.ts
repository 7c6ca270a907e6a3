/**
 * `drpilot pause` / `resume` against moto, behind a proxy that records every AWS request: while a
 * job is paused, every way it can be started — the alarm shapes, a person's payload, the re-plan,
 * the CLI — answers `refused: paused …`, audits what it would have done, and writes nothing else.
 */
import { PutMetricAlarmCommand, SetAlarmStateCommand } from '@aws-sdk/client-cloudwatch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pointAwsClientsAt } from '../../cli/emulator/emulated-aws';
import { setHealthAlarm } from '../../cli/embedded/seed-alarms';
import {
  cloudWatchClient,
  dynamoDbDocumentClient,
  ec2Client,
} from '../../lambdas/adapters/aws/clients';
import { PauseStore } from '../../lambdas/adapters/aws/pause-store';
import { StateStore } from '../../lambdas/adapters/aws/state-store';
import { instancesWithTag } from '../../lambdas/adapters/aws/tagged-instances';
import { dnsResolver } from '../../lambdas/adapters/tls/tls-probe';
import type { DrpilotConfig } from '../../lambdas/core/config/schema';
import { RESIZE_STATE_MACHINE_ENV, resizeAlarmName } from '../../lambdas/core/shared-names';
import { createDnsHandler } from '../../lambdas/dns/handler';
import { createResizeHandler } from '../../lambdas/resize/handler';
import { handler as resyncHandler } from '../../lambdas/resync/handler';
import { runResync } from '../../lambdas/resync/run-resync';
import { ALARM_SHAPES, alarmEventAs } from '../support/alarm-events';
import { useMoto } from '../support/moto';
import { startRecordingProxy, type RecordingProxy } from '../support/recording-proxy';
import { runCli } from '../support/run-cli';
import { seedExampleEstate } from '../support/seeded-estate';

const moto = useMoto({ resetBeforeEach: false });
const ACCOUNT = '123456789012';
const RESIZE_REGION = 'eu-west-1';
const GROUP = 'primary-workers';
const PAUSED =
  /^paused by [^ ]+ until \d{4}-\d{2}-\d{2}T[\d:.]+Z: planned maintenance \(would have: .+\)$/;

let proxy: RecordingProxy;
let restoreEnv: () => void;
let config: DrpilotConfig;
let configFile: string;
let resizeAlarm: string;

const inAccount = (job: string, region: string) =>
  ({
    awsRequestId: 'pause-test',
    invokedFunctionArn: `arn:aws:lambda:${region}:${ACCOUNT}:function:acme-drpilot-${job}`,
  }) as never;
const dns = createDnsHandler({ resolver: dnsResolver, sleep: async () => undefined });
const resize = createResizeHandler({ sleep: async () => undefined });
const cli = (...argv: string[]) =>
  runCli(['--config', configFile, ...argv], { env: { ...process.env, USER: 'alice' } });
const store = () => new StateStore(dynamoDbDocumentClient(config.controlRegion), config.stateTable);

beforeAll(async () => {
  proxy = await startRecordingProxy(moto.endpoint);
  restoreEnv = pointAwsClientsAt(proxy.endpoint);
  process.env.AWS_REGION = RESIZE_REGION;
  process.env[RESIZE_STATE_MACHINE_ENV] =
    `arn:aws:states:${RESIZE_REGION}:${ACCOUNT}:stateMachine:acme-drpilot-resize-rollout`;
  ({ config, configFile } = await seedExampleEstate());
  process.env.DRPILOT_CONFIG_JSON = JSON.stringify(config);
  // Every trigger below would act if the jobs were not paused: the primary is down, a member's
  // scale-up alarm stands in ALARM, and the primary bucket holds backups dr lacks.
  await setHealthAlarm(config, 'primary', 'ALARM', 'test: primary down');
  const [member] = await instancesWithTag(ec2Client(RESIZE_REGION), {
    key: 'drpilot:group',
    value: GROUP,
  });
  resizeAlarm = resizeAlarmName(config, GROUP, 'up', member!.id)!;
  const cloudwatch = cloudWatchClient(RESIZE_REGION);
  await cloudwatch.send(
    new PutMetricAlarmCommand({
      AlarmName: resizeAlarm,
      Namespace: 'AWS/EC2',
      MetricName: 'CPUUtilization',
      Dimensions: [{ Name: 'InstanceId', Value: member!.id }],
      Statistic: 'Average',
      Period: 60,
      EvaluationPeriods: 1,
      Threshold: 75,
      ComparisonOperator: 'GreaterThanThreshold',
    }),
  );
  await cloudwatch.send(
    new SetAlarmStateCommand({ AlarmName: resizeAlarm, StateValue: 'ALARM', StateReason: 'test' }),
  );
}, 180_000);

afterAll(async () => {
  restoreEnv?.();
  await proxy?.close();
  delete process.env.DRPILOT_CONFIG_JSON;
  Reflect.deleteProperty(process.env, RESIZE_STATE_MACHINE_ENV);
});

describe('drpilot pause: every trigger of a paused job refuses and writes nothing', () => {
  it('pauses all jobs; alarms (3 shapes), manual payloads, re-plans and the CLI refuse with who, why and until, audited', async () => {
    const paused = await cli(
      'pause',
      'all',
      '--for',
      '2h',
      '--reason',
      'planned maintenance',
      '--json',
    );
    expect(paused.code).toBe(0);
    expect(paused.json()).toMatchObject({
      outcome: 'paused',
      pauses: ['dns', 'resync', 'resize'].map((job) => ({
        job,
        by: 'alice',
        reason: 'planned maintenance',
      })),
    });

    const answers: [string, () => Promise<unknown>][] = [
      ...ALARM_SHAPES.map((shape): [string, () => Promise<unknown>] => [
        `dns: primary health alarm → ALARM (${shape})`,
        () =>
          dns(
            alarmEventAs(shape, {
              alarmName: config.clusters.primary.healthAlarm,
              state: 'ALARM',
              region: 'us-east-1',
              account: ACCOUNT,
              at: new Date(Date.now() - 2000),
            }) as never,
            inAccount('dns', 'us-east-1'),
          ),
      ]),
      ...ALARM_SHAPES.map((shape): [string, () => Promise<unknown>] => [
        `resize: member alarm → ALARM (${shape})`,
        () =>
          resize(
            alarmEventAs(shape, {
              alarmName: resizeAlarm,
              state: 'ALARM',
              region: RESIZE_REGION,
              account: ACCOUNT,
              at: new Date(Date.now() - 2000),
            }) as never,
            inAccount('resize', RESIZE_REGION),
          ),
      ]),
      [
        'dns: manual failover',
        () => dns({ action: 'failover', reason: 'ops' } as never, inAccount('dns', 'us-east-1')),
      ],
      [
        'dns: the every-minute re-plan',
        () => dns({ action: 'reconcile' } as never, inAccount('dns', 'us-east-1')),
      ],
      [
        'resync: schedule',
        () =>
          resyncHandler(
            { action: 'resync', reason: 'schedule' } as never,
            inAccount('resync', 'us-east-1'),
          ),
      ],
      [
        'resize: manual step up',
        () =>
          resize(
            { action: 'resize', groupId: GROUP, step: 'up' } as never,
            inAccount('resize', RESIZE_REGION),
          ),
      ],
    ];
    const reasons: Record<string, string> = {};
    for (const [what, answer] of answers) {
      proxy.clear();
      const result = (await answer()) as { outcome: string; reason: string };
      expect(result.outcome, what).toBe('refused');
      expect(result.reason, what).toMatch(PAUSED);
      expect(proxy.writes(), what).toEqual([]);
      reasons[what] = result.reason;
    }
    expect(reasons['dns: the every-minute re-plan']).toMatch(
      /would have: failover: the primary health alarm is still ALARM/,
    );
    expect(reasons['resize: manual step up']).toMatch(
      /would have: resize primary-workers \(one step up\)/,
    );

    proxy.clear();
    const replan = (await resize(
      { action: 'reconcile' } as never,
      inAccount('resize', RESIZE_REGION),
    )) as {
      groups: { id: string; outcome: string; reason: string }[];
    };
    expect(replan.groups).toEqual([
      {
        id: GROUP,
        alarms: [resizeAlarm],
        outcome: 'refused',
        reason: expect.stringMatching(PAUSED),
      },
    ]);
    expect(proxy.writes()).toEqual([]);

    for (const argv of [
      ['failover', '--reason', 'ops'],
      ['resync'],
      ['resize', GROUP, '--step', 'up'],
    ]) {
      proxy.clear();
      const run = await cli(...argv, '--yes', '--json');
      expect(run.code, argv[0]).toBe(3);
      expect(run.json().reason, argv[0]).toMatch(PAUSED);
      expect(proxy.writes(), argv[0]).toEqual([]);
    }

    const dnsAudit = await store().recentAudit('dns', 50);
    const refusals = dnsAudit.filter((e) => e['paused']);
    expect(refusals.map((e) => e['trigger'])).toEqual(
      expect.arrayContaining([
        'cli',
        'manual failover',
        'manual reconcile',
        ...ALARM_SHAPES.map((shape) =>
          expect.stringMatching(new RegExp(`^alarm acme-primary-health .*ALARM \\(${shape}\\)$`)),
        ),
      ]),
    );
    expect(refusals[0]).toMatchObject({
      outcome: 'refused',
      paused: { by: 'alice', reason: 'planned maintenance' },
      wouldHave: expect.any(String),
    });
    expect(
      (await store().recentAudit('resync', 5)).some(
        (e) => e['wouldHave'] === 're-sync the Velero buckets',
      ),
    ).toBe(true);

    // The same re-plan refused again during the same pause is not audited a second time.
    const before = (await store().recentAudit('dns', 100)).length;
    await dns({ action: 'reconcile' } as never, inAccount('dns', 'us-east-1'));
    await dns({ action: 'reconcile' } as never, inAccount('dns', 'us-east-1'));
    expect((await store().recentAudit('dns', 100)).length).toBe(before + 1);

    const status = await cli('status', '--json');
    expect(status.json().pauses).toEqual(
      ['dns', 'resync', 'resize'].map((job) =>
        expect.objectContaining({ job, by: 'alice', reason: 'planned maintenance' }),
      ),
    );
    expect(status.json().lastActions.map((a: { job: string }) => a.job)).toEqual([
      'dns',
      'resync',
      'resize',
    ]);
    const human = await cli('status');
    expect(human.stdout).toMatch(/^Paused {4}dns {5}by alice until \S+: planned maintenance$/m);
    expect(human.stdout).toMatch(/^Last {6}dns {5}\S+ refused: /m);
  });

  it('resume lifts the pause: the next re-sync copies again', async () => {
    await cli('pause', 'resync', '--for', '1h', '--reason', 'planned maintenance');
    const dry = await cli('resume', 'resync', '--dry-run', '--json');
    expect(dry.json()).toMatchObject({ outcome: 'dry-run', resumed: [{ job: 'resync' }] });
    const resumed = await cli('resume', 'resync', '--json');
    expect(resumed.code).toBe(0);
    expect(resumed.json()).toMatchObject({
      outcome: 'resumed',
      resumed: [{ job: 'resync', by: 'alice' }],
      notPaused: [],
    });
    expect((await cli('resume', 'resync', '--json')).json()).toEqual({
      outcome: 'noop',
      resumed: [],
      notPaused: ['resync'],
    });
    proxy.clear();
    const result = (await resyncHandler(
      { action: 'resync' } as never,
      inAccount('resync', 'us-east-1'),
    )) as {
      outcome: string;
    };
    expect(result.outcome).toBe('copied');
    expect(proxy.writes().some((w) => w.startsWith('s3 '))).toBe(true);
    const [newest, ...rest] = await store().recentAudit('resync', 10);
    expect(newest).toMatchObject({ outcome: 'copied' });
    expect(rest.find((e) => e['action'] === 'resume')).toMatchObject({
      by: 'alice',
      outcome: 'resumed',
    });
  });

  it('a pause ends by itself at its time (the injectable clock), with no clean-up', async () => {
    const t0 = Date.parse('2026-12-02T08:00:00Z');
    let now = t0;
    const pauses = new PauseStore(
      dynamoDbDocumentClient(config.controlRegion),
      config.stateTable,
      () => now,
    );
    await pauses.pause('resync', { by: 'bob', reason: 'window', untilMs: t0 + 3_600_000 });
    now = t0 + 3_599_999;
    expect(await pauses.inForce('resync')).toMatchObject({
      by: 'bob',
      until: '2026-12-02T09:00:00.000Z',
    });
    now = t0 + 3_600_000;
    expect(await pauses.inForce('resync')).toBeNull();

    // The handler code asks with its own clock: refused just before, acting just after.
    const at = (ms: number) => () => new Date(ms);
    const before = await runResync(config, {
      dryRun: true,
      trigger: 'test',
      now: at(t0 + 3_599_000),
    });
    expect(before).toMatchObject({
      outcome: 'refused',
      reason: expect.stringMatching(/^paused by bob until 2026-12-02T09:00:00.000Z: window/),
    });
    const after = await runResync(config, {
      dryRun: true,
      trigger: 'test',
      now: at(t0 + 3_601_000),
    });
    expect(after.outcome).not.toBe('refused');
    await pauses.resume('resync');
  });
});

describe('drpilot history', () => {
  it('lists the audit trail newest first, filtered by job, since and limit', async () => {
    const at = (iso: string) =>
      new StateStore(dynamoDbDocumentClient(config.controlRegion), config.stateTable, () =>
        Date.parse(iso),
      );
    await at('2030-01-01T10:00:00Z').appendAudit('dns', {
      trigger: 'cli',
      action: 'failover',
      recordName: 'main.example.com',
      outcome: 'switched',
      reason: 'moved',
    });
    await at('2030-01-01T11:00:00Z').appendAudit('resync', {
      trigger: 'schedule',
      outcome: 'copied',
      from: 'primary',
      to: 'dr',
      copied: ['b1', 'b2'],
      deleted: [],
    });
    await at('2030-01-01T12:00:00Z').appendAudit('resize', {
      trigger: 'manual',
      outcome: 'resized',
      group: GROUP,
      from: ['m6i.large'],
      to: 'm6i.xlarge',
      reason: 'load',
    });

    const recent = await cli('history', '--since', '2030-01-01T00:00Z', '--json');
    expect(recent.code).toBe(0);
    expect(
      recent
        .json()
        .entries.map((e: { job: string; at: string; outcome: string }) => [e.job, e.at, e.outcome]),
    ).toEqual([
      ['resize', '2030-01-01T12:00:00.000Z', 'resized'],
      ['resync', '2030-01-01T11:00:00.000Z', 'copied'],
      ['dns', '2030-01-01T10:00:00.000Z', 'switched'],
    ]);
    const dnsOnly = await cli('history', '--job', 'dns', '--since', '2030-01-01T00:00Z', '--json');
    expect(dnsOnly.json().entries).toEqual([
      expect.objectContaining({
        job: 'dns',
        what: 'failover main.example.com: moved',
        outcome: 'switched',
      }),
    ]);
    const later = await cli('history', '--since', '2030-01-01T10:30Z', '--limit', '1', '--json');
    expect(later.json().entries.map((e: { job: string }) => e.job)).toEqual(['resize']);
    const human = await cli('history', '--since', '2030-01-01T00:00Z');
    expect(human.stdout.trim().split('\n')).toEqual([
      '2030-01-01T12:00:00.000Z  resize  resized   resize primary-workers m6i.large → m6i.xlarge: load',
      '2030-01-01T11:00:00.000Z  resync  copied    re-sync primary → dr copied 2, deleted 0',
      '2030-01-01T10:00:00.000Z  dns     switched  failover main.example.com: moved',
    ]);
  });
});

describe('bad input is a usage error (exit 2) that names the problem, before any AWS call', () => {
  it.each([
    [
      ['pause', 'backups', '--for', '1h', '--reason', 'x'],
      /unknown job "backups": expected one of dns, resync, resize, all/,
    ],
    [['resume', 'dnss'], /unknown job "dnss"/],
    [['pause', 'dns', '--reason', 'x'], /exactly one of --until TIME or --for DURATION/],
    [
      ['pause', 'dns', '--for', '1h', '--until', '2099-01-01T00:00Z', '--reason', 'x'],
      /exactly one of --until/,
    ],
    [
      ['pause', 'dns', '--until', '2001-01-01T00:00Z', '--reason', 'x'],
      /--until 2001-01-01T00:00:00.000Z is in the past/,
    ],
    [
      ['pause', 'dns', '--for', '90 minutes', '--reason', 'x'],
      /--for "90 minutes" is not a duration/,
    ],
    [['pause', 'dns', '--for', '30d', '--reason', 'x'], /at most 7 days/],
    [['pause', 'dns', '--for', '1h'], /required option '--reason <text>' not specified/],
    [['pause', 'dns', '--for', '1h', '--reason', '  '], /--reason must say why/],
    [
      ['history', '--job', 'everything'],
      /unknown job "everything": expected one of dns, resync, resize, restore, tunnels, drill/,
    ],
    [['history', '--limit', '0'], /--limit "0" is not a whole number from 1 to 1000/],
    [['history', '--since', 'yesterday'], /--since "yesterday" is neither a time/],
    [['pause', '--for', '1h', '--reason', 'x', '--via', 'lambda'], /--via lambda does not apply/],
    [['history', '--via', 'lambda'], /--via lambda does not apply/],
  ])('%j', async (argv, message) => {
    proxy.clear();
    const run = await cli(...argv, '--json');
    expect(run.code).toBe(2);
    expect(run.json().error.message).toMatch(message);
    expect(proxy.requests).toEqual([]);
  });
});
