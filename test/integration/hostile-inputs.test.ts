/**
 * Every front door against hostile and unlucky input: the Lambda handlers and the CLI, with
 * moto behind a proxy that records every request any client sends. Each case must end in a clear
 * error (a TriggerEventError, a refusal that says why, or a usage error with exit 2) and send no
 * request that changes anything — Route 53 changes, EC2 stop/start/modify, S3 writes, Step
 * Functions starts, alarm writes, SNS publishes, state-table writes — except, for an alarm event
 * that no longer holds, the audit entry of its refusal.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pointAwsClientsAt } from '../../cli/emulator/emulated-aws';
import { dynamoDbDocumentClient, ec2Client } from '../../lambdas/adapters/aws/clients';
import { StateStore } from '../../lambdas/adapters/aws/state-store';
import { instancesWithTag } from '../../lambdas/adapters/aws/tagged-instances';
import type { DrpilotConfig } from '../../lambdas/core/config/schema';
import { TriggerEventError } from '../../lambdas/core/events/trigger-event';
import { rolloutHolder } from '../../lambdas/core/resize/rollout-trust';
import { resizeScope } from '../../lambdas/core/shared-names';
import { RESIZE_STATE_MACHINE_ENV, resizeAlarmName } from '../../lambdas/core/shared-names';
import { createDnsHandler } from '../../lambdas/dns/handler';
import { handler as aksHandler } from '../../lambdas/aks/handler';
import { handler as tunnelsHandler } from '../../lambdas/aks/tunnel-handler';
import { handler as resizeAlarmsHandler } from '../../lambdas/resize-alarms/handler';
import { createResizeHandler } from '../../lambdas/resize/handler';
import { handler as restoreHandler } from '../../lambdas/restore/handler';
import { handler as resyncHandler } from '../../lambdas/resync/handler';
import { handler as statusHandler } from '../../lambdas/status/handler';
import { dnsResolver } from '../../lambdas/adapters/tls/tls-probe';
import { ALARM_SHAPES, alarmEventAs, type AlarmShape } from '../support/alarm-events';
import { useMoto } from '../support/moto';
import { startRecordingProxy, type RecordingProxy } from '../support/recording-proxy';
import { runCli } from '../support/run-cli';
import { seedExampleEstate } from '../support/seeded-estate';
import { tempDir } from '../support/temp-dir';

const moto = useMoto({ resetBeforeEach: false });
const ACCOUNT = '123456789012';
const RESIZE_REGION = 'eu-west-1';
const GROUP = 'primary-workers';
const ROLLOUT_ID = `${GROUP}-1796000000000`;
const MB = 'x'.repeat(1_000_000);

let proxy: RecordingProxy;
let restoreEnv: () => void;
let config: DrpilotConfig;
let configFile: string;
let instanceId: string;
let leaseToken: string;
let files: Record<'dir' | 'huge' | 'tooManyGroups' | 'fifo' | 'bom', string>;

beforeAll(async () => {
  proxy = await startRecordingProxy(moto.endpoint);
  restoreEnv = pointAwsClientsAt(proxy.endpoint);
  process.env.AWS_REGION = RESIZE_REGION;
  process.env[RESIZE_STATE_MACHINE_ENV] =
    `arn:aws:states:${RESIZE_REGION}:${ACCOUNT}:stateMachine:acme-drpilot-resize-rollout`;
  ({ config, configFile } = await seedExampleEstate());
  process.env.DRPILOT_CONFIG_JSON = JSON.stringify(config);
  const [member] = await instancesWithTag(ec2Client(RESIZE_REGION), {
    key: 'drpilot:group',
    value: GROUP,
  });
  instanceId = member!.id;
  const store = new StateStore(dynamoDbDocumentClient(config.controlRegion), config.stateTable);
  const held = await store.acquireLease(
    resizeScope(GROUP),
    rolloutHolder('manual', ROLLOUT_ID),
    3600,
  );
  if (!held.acquired) throw new Error('could not take the rollout lease');
  leaseToken = held.lease.token;
  files = writeBadConfigs(config);
}, 180_000);

afterAll(async () => {
  restoreEnv?.();
  delete process.env.DRPILOT_CONFIG_JSON;
  Reflect.deleteProperty(process.env, RESIZE_STATE_MACHINE_ENV);
  await proxy?.close();
});

// ------------------------------------------------------------------ how a case is judged

/** The clear error a case ends in: the thrown TriggerEventError's message or a refusal's reason. */
async function errorOf(call: () => Promise<unknown>): Promise<string> {
  let result: unknown;
  try {
    result = await call();
  } catch (error) {
    if (error instanceof TriggerEventError) return error.message;
    throw error;
  }
  const answer = result as { outcome?: string; reason?: string };
  if (answer?.outcome === 'refused' && answer.reason) return answer.reason;
  throw new Error(`accepted: ${JSON.stringify(result).slice(0, 500)}`);
}

const inAccount = (job: string, region: string) =>
  ({
    awsRequestId: 'corpus',
    invokedFunctionArn: `arn:aws:lambda:${region}:${ACCOUNT}:function:acme-drpilot-${job}`,
  }) as never;

type Invoke = (event: unknown) => Promise<unknown>;
const dns = createDnsHandler({ resolver: dnsResolver, sleep: async () => undefined });
const resize = createResizeHandler({ sleep: async () => undefined });
const HANDLERS: Record<string, Invoke> = {
  dns: (event) => dns(event as never, inAccount('dns', 'us-east-1')),
  resize: (event) => resize(event as never, inAccount('resize', RESIZE_REGION)),
  resync: (event) => resyncHandler(event as never, inAccount('resync', 'us-east-1')),
  restore: (event) => restoreHandler(event as never, inAccount('restore', 'us-east-1')),
  status: (event) => statusHandler(event as never, inAccount('status', 'us-east-1')),
  'resize-alarms': (event) =>
    resizeAlarmsHandler(event as never, inAccount('resize-alarms', RESIZE_REGION)),
  aks: (event) => aksHandler(event as never, inAccount('aks', 'us-east-1')),
  tunnels: (event) => tunnelsHandler(event as never, inAccount('tunnels', RESIZE_REGION)),
};

interface Case {
  name: string;
  /** Runs the case and returns the clear error it ended in. */
  run: () => Promise<string>;
  expected: RegExp;
  /** An alarm event that no longer holds may leave the audit entry of its refusal. */
  audits?: boolean;
}

const CLEAR =
  /^(invalid .+: .+|unrecognised event: expected .+; got .+|unsupported EventBridge event: .+|(alarm event|instance state change) not from this deployment: .+|rollout state rejected: .+|expected an EventBridge .+; got .+|malformed ".+": .+|the \w+ function .+|alarm .+ is not one of drpilot's resize alarms .+)$/s;

async function judge(c: Case) {
  proxy.clear();
  const text = await c.run();
  expect(text, c.name).toMatch(c.expected);
  // Whatever the input carried, the message people and logs get stays short.
  expect(text.length, c.name).toBeLessThan(3000);
  expect(proxy.writes(), c.name).toEqual([]);
  if (!c.audits)
    expect(
      proxy.requests.filter((r) => r.kind === 'audit'),
      c.name,
    ).toEqual([]);
}

// ------------------------------------------------------------------ the corpus

const fixtures = new URL('../fixtures/events/', import.meta.url);
const fixture = (name: string) => JSON.parse(readFileSync(new URL(name, fixtures), 'utf8'));

function nested(depth: number): unknown {
  let value: unknown = { action: 'failover' };
  for (let i = 0; i < depth; i++) value = { nested: value };
  return value;
}

function snsWith(message: string) {
  const event = fixture('sns-alarm-single-metric.json');
  event.Records[0].Sns.Message = message;
  return event;
}

function eventBridge(change: (event: any) => void) {
  const event = fixture('eventbridge-single-metric.json');
  change(event);
  return event;
}

function alarmAction(change: (event: any) => void) {
  const event = fixture('alarm-action-single-metric.json');
  change(event);
  return event;
}

/** Inputs no handler may accept: wrong types, wrong shapes, smuggled keys, unbounded sizes. */
const GENERIC: [string, () => unknown][] = [
  ['null', () => null],
  ['undefined', () => undefined],
  ['a number', () => 42],
  ['a boolean', () => true],
  ['an empty string', () => ''],
  ['a string', () => 'failover'],
  ['an empty array', () => []],
  ['an array holding a payload', () => [{ action: 'failover' }]],
  ['an empty object', () => ({})],
  ['an unknown object', () => ({ hello: 'world' })],
  ['__proto__ smuggling', () => JSON.parse('{"__proto__":{"action":"failover"}}')],
  ['constructor smuggling', () => JSON.parse('{"constructor":{"prototype":{"action":"x"}}}')],
  ['5,000 levels deep', () => nested(5000)],
  ['20,000 keys', () => Object.fromEntries(Array.from({ length: 20_000 }, (_, i) => [`k${i}`, i]))],
  ['action as a number', () => ({ action: 1 })],
  ['an empty action', () => ({ action: '' })],
  ['a 1 MB action', () => ({ action: MB })],
  ['an unknown action', () => ({ action: 'explode' })],
  ['a manual payload with an unknown key', () => ({ action: 'status', sudo: true })],
  ['a reason of 10,000 characters', () => ({ action: 'status', reason: 'r'.repeat(10_000) })],
  ['an empty reason', () => ({ action: 'status', reason: '' })],
  ['dryRun as a string', () => ({ action: 'status', dryRun: 'yes' })],
  ['force as a number', () => ({ action: 'status', force: 1 })],
  ['SNS: Records not an array', () => ({ Records: 'x' })],
  ['SNS: no records', () => ({ Records: [] })],
  ['an S3 event record', () => ({ Records: [{ eventSource: 'aws:s3' }] })],
  [
    'SNS: two records',
    () => {
      const event = fixture('sns-alarm-single-metric.json');
      event.Records.push(event.Records[0]);
      return event;
    },
  ],
  ['SNS: a plain-text message', () => snsWith('the primary is down, fail over now')],
  ['SNS: JSON that is not an alarm', () => snsWith('{"action":"failover"}')],
  ['SNS: a 1 MB message', () => snsWith(MB)],
  [
    'SNS: a 1 MB alarm name',
    () => snsWith(JSON.stringify({ AlarmName: MB, NewStateValue: 'ALARM' })),
  ],
  ['EventBridge: another source', () => eventBridge((e) => (e.source = 'aws.ec2'))],
  ['EventBridge: another detail-type', () => eventBridge((e) => (e['detail-type'] = 'x'))],
  ['EventBridge: no detail', () => eventBridge((e) => delete e.detail)],
  ['EventBridge: region mars-1', () => eventBridge((e) => (e.region = 'mars-1'))],
  ['EventBridge: a 1 MB alarm name', () => eventBridge((e) => (e.detail.alarmName = MB))],
  [
    'EventBridge: time "yesterday"',
    () => eventBridge((e) => (e.detail.state.timestamp = 'yesterday')),
  ],
  ['EventBridge: state BROKEN', () => eventBridge((e) => (e.detail.state.value = 'BROKEN'))],
  ['EventBridge: 1 MB account', () => eventBridge((e) => (e.account = MB))],
  [
    'alarm action: no timestamp',
    () =>
      alarmAction((e) => {
        delete e.time;
        delete e.alarmData.state.timestamp;
      }),
  ],
  ['alarm action: source not aws.cloudwatch', () => alarmAction((e) => (e.source = 'aws.events'))],
  ['alarm action: a 1 MB alarm ARN', () => alarmAction((e) => (e.alarmArn = MB))],
  ...readdirSync(new URL('malformed/', fixtures))
    .sort()
    .map((file): [string, () => unknown] => [
      `fixture ${file}`,
      () => fixture(`malformed/${file}`),
    ]),
];

const genericCases: Case[] = Object.entries(HANDLERS).flatMap(([job, invoke]) =>
  GENERIC.map(([what, event]) => ({
    name: `${job} handler: ${what}`,
    run: () => errorOf(() => invoke(event())),
    expected: CLEAR,
  })),
);

/** Well-formed alarm events that must not be believed: too old, from the future, from elsewhere, or no longer true. */
function untrustedAlarms(job: 'dns' | 'resize'): Case[] {
  const region = job === 'dns' ? 'us-east-1' : RESIZE_REGION;
  const alarmName = () =>
    job === 'dns'
      ? config.clusters.primary.healthAlarm
      : resizeAlarmName(config, GROUP, 'up', instanceId)!;
  const now = Date.now();
  const variants: [string, Partial<{ at: Date; account: string; region: string }>, RegExp][] = [
    ['stamped 1970', { at: new Date(0) }, /refused as stale/],
    [
      'stamped 9999',
      { at: new Date('9999-12-31T00:00:00Z') },
      /in the future: refused as forged or replayed/,
    ],
    [
      'delivered two hours late',
      { at: new Date(now - 7_200_000) },
      /is 7\d{3} s old .*refused as stale/,
    ],
    [
      'from another account',
      { account: '999999999999' },
      /^alarm event not from this deployment: account: the alarm belongs to account 999999999999/,
    ],
    [
      'from another region',
      { region: job === 'dns' ? 'eu-west-1' : 'us-west-2' },
      /^alarm event not from this deployment: region: the alarm is in/,
    ],
    ['fresh, but the alarm does not say so now', {}, /no longer holds: .* is (OK|MISSING) now/],
  ];
  return ALARM_SHAPES.flatMap((shape: AlarmShape) =>
    variants.map(([what, spec, expected]) => ({
      name: `${job} handler: ALARM ${what} (${shape})`,
      run: () =>
        errorOf(() =>
          HANDLERS[job]!(
            alarmEventAs(shape, {
              alarmName: alarmName(),
              state: 'ALARM',
              region,
              account: ACCOUNT,
              at: new Date(Date.now() - 3000),
              ...spec,
            }),
          ),
        ),
      expected,
      audits: true,
    })),
  );
}

const manualCases: Case[] = [
  ...(
    [
      ['dns', { action: 'failover', reason: '' }, /reason: expected a reason, got an empty string/],
      [
        'dns',
        { action: 'failover', reason: 'r'.repeat(1025) },
        /reason: expected at most 1024 characters/,
      ],
      ['dns', { action: 'failover', force: 'yes' }, /force: /],
      ['dns', { action: 'reconcile', drill: true }, /drill: only applies to actions/],
      ['dns', { action: 'status' }, /"status" is not an action this function carries out/],
      ['dns', { action: 'resync' }, /"resync" is not an action this function carries out/],
      ['dns', { action: 'failover', groupId: GROUP }, /groupId: only applies to action "resize"/],
      ['resize', { action: 'resize' }, /groupId: required for action "resize"/],
      [
        'resize',
        { action: 'resize', groupId: 'nope' },
        /groupId: unknown node group "nope" \(configured: primary-workers, dr-workers\)/,
      ],
      ['resize', { action: 'resize', groupId: 'UPPER' }, /groupId: expected a node group id/],
      ['resize', { action: 'resize', groupId: '../x' }, /groupId: expected a node group id/],
      [
        'resize',
        { action: 'resize', groupId: GROUP, to: 'm6i.huge' },
        /to: m6i.huge is not on the ladder of primary-workers/,
      ],
      [
        'resize',
        { action: 'resize', groupId: GROUP, to: '' },
        /to: expected an instance type, got an empty string/,
      ],
      [
        'resize',
        { action: 'resize', groupId: GROUP, to: MB },
        /to: expected at most 32 characters/,
      ],
      [
        'resize',
        { action: 'resize', groupId: GROUP, to: 'm6i.xlarge', step: 'up' },
        /to: give either "to" or "step", not both/,
      ],
      ['resize', { action: 'resize', groupId: GROUP, step: 'sideways' }, /step: /],
      ['resize', { action: 'resize', groupId: GROUP, reason: '' }, /reason: expected a reason/],
      ['resize', { action: 'resize', groupId: GROUP, dryRun: 'yes' }, /dryRun: /],
      [
        'resync',
        { action: 'resync', backup: '' },
        /backup: expected a Velero backup name, got an empty string/,
      ],
      [
        'resync',
        { action: 'resync', backup: '../../kopia/app' },
        /backup: expected a Velero backup name: a Kubernetes object name/,
      ],
      [
        'resync',
        { action: 'resync', backup: '*' },
        /backup: expected a Velero backup name: a Kubernetes object name/,
      ],
      ['resync', { action: 'resync', backup: MB }, /backup: expected at most 253 characters/],
      ['resync', { action: 'resync', backup: 'Daily' }, /backup: expected a Velero backup name/],
      ['resync', { action: 'resync', backup: '-daily' }, /backup: expected a Velero backup name/],
      ['resync', { action: 'resync', backup: 'daily-' }, /backup: expected a Velero backup name/],
      ['resync', { action: 'resync', backup: 'a/b' }, /backup: expected a Velero backup name/],
      ['resync', { action: 'resync', backup: 'a b' }, /backup: expected a Velero backup name/],
      ['resync', { action: 'resync', to: 'm6i.large' }, /to: only applies to action "resize"/],
      [
        'restore',
        { action: 'verify-restore', backup: '../../restores/x' },
        /backup: expected a Velero backup name: a Kubernetes object name/,
      ],
      ['restore', { action: 'verify-restore', backup: MB }, /backup: expected at most 253/],
      [
        'restore',
        { action: 'verify-restore', groupId: GROUP },
        /groupId: only applies to action "resize"/,
      ],
      [
        'restore',
        { action: 'publish-verified-rpo', drill: true },
        /drill: only applies to actions "failover", "failback" and "verify"/,
      ],
      [
        'restore',
        { action: 'resync' },
        /"resync" is not an action this function carries out; expected one of \[verify-restore, publish-verified-rpo\]/,
      ],
      [
        'restore',
        { action: 'publish-verified-rpo', backup: 'daily-1' },
        /backup: only applies to actions "resync" and "verify-restore"/,
      ],
      [
        'resync',
        { action: 'resync', reason: 'r'.repeat(10_000) },
        /reason: expected at most 1024 characters/,
      ],
    ] as [string, Record<string, unknown>, RegExp][]
  ).map(([job, payload, expected]) => ({
    name: `${job} handler: manual ${JSON.stringify(payload).slice(0, 80)}`,
    run: () => errorOf(() => HANDLERS[job]!(payload)),
    expected,
  })),
];

function rollout(change: (state: any) => void = () => undefined) {
  const state = {
    drpilotRollout: 1,
    id: ROLLOUT_ID,
    groupId: GROUP,
    trigger: 'manual',
    lease: {
      name: resizeScope(GROUP),
      holder: rolloutHolder('manual', ROLLOUT_ID),
      token: leaseToken,
      expiresAtMs: Date.now() + 3_600_000,
    },
    startedAt: new Date().toISOString(),
    plan: {
      kind: 'resize',
      group: GROUP,
      direction: 'up',
      metric: 'cpu',
      unit: 'vCPU',
      from: { types: ['m6i.large'], capacity: 6 },
      to: { type: 'm6i.xlarge', capacity: 8 },
      nodes: [],
      unchanged: [],
      need: 7,
      newCapacity: 8,
      projectedUtilisation: 60,
      reason: 'forged',
    },
    p95Percent: 90,
    nodes: [
      {
        id: instanceId,
        from: 'm6i.large',
        to: 'm6i.xlarge',
        outcome: 'resized',
        detail: 'forged',
        privateDnsName: null,
        tags: {},
      },
    ],
    next: 1,
    template: null,
    done: true,
    waitSeconds: 0,
  };
  change(state);
  return state;
}

const forgedRollouts: [string, () => unknown, RegExp][] = [
  [
    'a "finished" state with a made-up token',
    () => rollout((s) => (s.lease.token = 'made-up')),
    /fencing token does not match/,
  ],
  [
    'an error state (would page NODE DOWN) with a made-up token',
    () =>
      rollout((s) => {
        s.lease.token = 'made-up';
        s.done = false;
        s.error = { Error: 'States.Timeout', Cause: MB };
      }),
    /fencing token does not match/,
  ],
  [
    'the right token for another rollout id',
    () => rollout((s) => (s.id = `${GROUP}-1`)),
    /held for another rollout than primary-workers-1/,
  ],
  [
    'the right token, another holder',
    () => rollout((s) => (s.lease.holder = `cli#${ROLLOUT_ID}`)),
    /held for another rollout/,
  ],
  [
    'a group nobody holds a lease for',
    () =>
      rollout((s) => {
        s.groupId = 'dr-workers';
        s.plan.group = 'dr-workers';
        s.lease.name = resizeScope('dr-workers');
      }),
    /no rollout of dr-workers holds resize#dr-workers/,
  ],
  [
    'an unknown group',
    () =>
      rollout((s) => {
        s.groupId = 'ghost';
        s.plan.group = 'ghost';
        s.lease.name = resizeScope('ghost');
      }),
    /groupId: "ghost" is not a configured node group/,
  ],
  ['no groupId', () => rollout((s) => delete s.groupId), /groupId: /],
  [
    '{ done: true, nodes: [] } alone',
    () => ({ drpilotRollout: 1, done: true, nodes: [] }),
    /^rollout state rejected: .*groupId/,
  ],
  ['nodes not an array', () => rollout((s) => (s.nodes = 'all')), /nodes: /],
  ['a negative next', () => rollout((s) => (s.next = -1)), /next: /],
  ['no plan', () => rollout((s) => delete s.plan), /plan: /],
  ['marker 2', () => rollout((s) => (s.drpilotRollout = 2)), /drpilotRollout: /],
  ['a 1 MB token', () => rollout((s) => (s.lease.token = MB)), /lease\.token: /],
  [
    'a node outcome "exploded"',
    () => rollout((s) => (s.nodes[0].outcome = 'exploded')),
    /nodes\[0\]\.outcome: /,
  ],
  ['a wait of 31 years', () => rollout((s) => (s.waitSeconds = 1e9)), /waitSeconds: /],
  [
    'a plan for another group',
    () => rollout((s) => (s.plan.group = 'dr-workers')),
    /plan\.group: names another group than groupId/,
  ],
  [
    'the lease of another group',
    () => rollout((s) => (s.lease.name = resizeScope('dr-workers'))),
    /lease\.name: is not the lease of primary-workers/,
  ],
  [
    'an instance type that is not one',
    () => rollout((s) => (s.plan.to.type = 'rm -rf')),
    /plan\.to\.type: /,
  ],
];

const rolloutCases: Case[] = forgedRollouts.map(([what, state, expected]) => ({
  name: `resize handler: rollout state: ${what}`,
  run: () => errorOf(() => HANDLERS.resize!(state())),
  expected,
}));

/** The CLI: exit 2 and the error that names the bad value, as one JSON document. */
function cli(argv: () => string[], expected: RegExp, withConfig = true, label?: string): Case {
  const shown = label ?? argv().map((a) => (a.length > 40 ? `${a.slice(0, 20)}…(${a.length})` : a));
  return {
    name: `cli: ${typeof shown === 'string' ? shown : shown.join(' ')}`,
    expected,
    run: async () => {
      const run = await runCli([
        ...argv(),
        ...(withConfig ? ['--config', configFile] : []),
        '--json',
      ]);
      expect(run.code, run.stderr).toBe(2);
      const answer = run.json();
      return (
        answer.error?.message ?? answer.errors.map((e: any) => `${e.path}: ${e.message}`).join('; ')
      );
    },
  };
}

const cliCases: Case[] = [
  cli(() => ['failover', '--reason', ''], /reason: expected a reason, got an empty string/),
  cli(
    () => ['failover', '--reason', 'r'.repeat(10_000)],
    /reason: expected at most 1024 characters/,
  ),
  cli(() => ['failback', '--reason', ''], /reason: expected a reason/),
  cli(
    () => ['resync', '--backup', ''],
    /backup: expected a Velero backup name, got an empty string/,
  ),
  cli(() => ['resync', '--backup', '../../kopia/app'], /backup: expected a Velero backup name/),
  cli(() => ['resync', '--backup', '*'], /backup: expected a Velero backup name/),
  cli(() => ['resync', '--backup', MB], /backup: expected at most 253 characters/),
  cli(() => ['resync', '--backup', 'Daily'], /backup: expected a Velero backup name/),
  cli(() => ['resync', '--reason', ''], /reason: expected a reason/),
  cli(
    () => ['resize', GROUP, '--to', 'm6i.huge'],
    /to: m6i.huge is not on the ladder of primary-workers/,
  ),
  cli(() => ['resize', GROUP, '--to', ''], /to: expected an instance type, got an empty string/),
  cli(() => ['resize', GROUP, '--to', MB], /to: expected at most 32 characters/),
  cli(
    () => ['resize', GROUP, '--to', 'm6i.xlarge', '--step', 'up'],
    /give either "to" or "step", not both/,
  ),
  cli(() => ['resize', GROUP, '--step', 'sideways'], /'sideways' is invalid/),
  cli(() => ['resize', 'nope'], /groupId: unknown node group "nope"/),
  cli(() => ['resize', 'UPPER'], /groupId: expected a node group id/),
  cli(() => ['status', '--via', 'carrier-pigeon'], /'carrier-pigeon' is invalid/),
  cli(() => ['drill', 'everything'], /'everything' is invalid/),
  ...['validate', 'status', 'failover', 'resync'].flatMap((command) => [
    cli(
      () => [command, '--config', '/dev/zero'],
      /\/dev\/zero is a character device, not a file/,
      false,
    ),
    cli(
      () => [command, '--config', files.dir],
      /is a directory, not a file/,
      false,
      `${command} --config <a directory>`,
    ),
    cli(
      () => [command, '--config', files.fifo],
      /is a named pipe, not a file/,
      false,
      `${command} --config <a FIFO>`,
    ),
    cli(
      () => [command, '--config', files.huge],
      /is larger than 1 MiB: not a drpilot config/,
      false,
      `${command} --config <2 MiB>`,
    ),
    cli(
      () => [command, '--config', files.tooManyGroups],
      /nodeGroups: expected at most 50 item\(s\)/,
      false,
      `${command} --config <2,000 node groups>`,
    ),
    cli(() => [command, '--config', '/nonexistent/drpilot.json'], /does not exist/, false),
  ]),
];

function writeBadConfigs(good: DrpilotConfig) {
  const dir = tempDir('drpilot-hostile-');
  const huge = join(dir, 'huge.json');
  writeFileSync(huge, `${JSON.stringify(good)}${' '.repeat(2 * 1024 * 1024)}`);
  const tooManyGroups = join(dir, 'many-groups.json');
  const group = good.nodeGroups[0]!;
  writeFileSync(
    tooManyGroups,
    JSON.stringify({
      ...good,
      nodeGroups: Array.from({ length: 2000 }, (_, i) => ({ ...group, id: `g${i}` })),
    }),
  );
  const fifo = join(dir, 'pipe.json');
  execFileSync('mkfifo', [fifo]);
  const bom = join(dir, 'bom.json');
  writeFileSync(bom, `\uFEFF${JSON.stringify(good)}`);
  const sub = join(dir, 'a-directory.json');
  mkdirSync(sub);
  return { dir: sub, huge, tooManyGroups, fifo, bom };
}

const corpus = [
  ...genericCases,
  ...untrustedAlarms('dns'),
  ...untrustedAlarms('resize'),
  ...manualCases,
  ...rolloutCases,
  ...cliCases,
];

describe(`hostile inputs: ${corpus.length} cases, each a clear error and no write`, () => {
  it('has at least 300 cases', () => {
    expect(corpus.length).toBeGreaterThanOrEqual(300);
  });
  it.each(corpus.map((c) => [c.name, c] as const))('%s', (_name, c) => judge(c));
});

describe('what is accepted stays accepted', () => {
  it('a config saved with a UTF-8 byte-order mark validates', async () => {
    const run = await runCli(['validate', '--config', files.bom, '--json']);
    expect(run.code).toBe(0);
    expect(run.json().ok).toBe(true);
  });
});

/**
 * The same request through both front doors: a person's flags and the Lambda payload they become
 * are checked by the same parser and rules, so they fail on the same fields with the same words.
 */
describe('CLI and Lambda parity: the same request fails the same way at both front doors', () => {
  const table: [string, string[], Record<string, unknown>][] = [
    [
      'an empty failover reason',
      ['failover', '--reason', ''],
      { action: 'failover', reason: '', force: false, dryRun: false, drill: false },
    ],
    [
      'a failover reason over 1,024',
      ['failover', '--reason', 'r'.repeat(1500)],
      { action: 'failover', reason: 'r'.repeat(1500), force: false, dryRun: false, drill: false },
    ],
    [
      'an empty backup',
      ['resync', '--backup', ''],
      { action: 'resync', reason: 'manual', dryRun: false, backup: '' },
    ],
    [
      'a backup path',
      ['resync', '--backup', '../../kopia/app'],
      { action: 'resync', reason: 'manual', dryRun: false, backup: '../../kopia/app' },
    ],
    [
      'a backup glob',
      ['resync', '--backup', '*'],
      { action: 'resync', reason: 'manual', dryRun: false, backup: '*' },
    ],
    [
      'a type off the ladder',
      ['resize', GROUP, '--to', 'm6i.huge'],
      {
        action: 'resize',
        groupId: GROUP,
        reason: 'drpilot resize --via local',
        dryRun: false,
        to: 'm6i.huge',
      },
    ],
    [
      'an empty type',
      ['resize', GROUP, '--to', ''],
      {
        action: 'resize',
        groupId: GROUP,
        reason: 'drpilot resize --via local',
        dryRun: false,
        to: '',
      },
    ],
    [
      'to and step',
      ['resize', GROUP, '--to', 'm6i.xlarge', '--step', 'down'],
      {
        action: 'resize',
        groupId: GROUP,
        reason: 'drpilot resize --via local',
        dryRun: false,
        to: 'm6i.xlarge',
        step: 'down',
      },
    ],
    [
      'an unknown group',
      ['resize', 'nope'],
      { action: 'resize', groupId: 'nope', reason: 'drpilot resize --via local', dryRun: false },
    ],
  ];
  const jobOf = (argv: string[]) =>
    argv[0] === 'resize' ? 'resize' : argv[0] === 'resync' ? 'resync' : 'dns';

  it.each(table)('%s', async (_what, argv, payload) => {
    proxy.clear();
    const run = await runCli([...argv, '--config', configFile, '--json']);
    expect(run.code).toBe(2);
    const lambda = await HANDLERS[jobOf(argv)]!(payload).then(
      () => null,
      (error: unknown) => error,
    );
    expect(lambda).toBeInstanceOf(TriggerEventError);
    expect(run.json().error.issues).toEqual((lambda as TriggerEventError).issues);
    expect(run.json().error.message).toBe((lambda as TriggerEventError).message);
    expect(proxy.requests).toEqual([]);
  });
});

describe('the recorder can fail a case', () => {
  it('sees the audit of a refused stale alarm, and every write of a manual failover', async () => {
    proxy.clear();
    const stale = alarmEventAs('eventbridge', {
      alarmName: config.clusters.primary.healthAlarm,
      state: 'ALARM',
      region: 'us-east-1',
      account: ACCOUNT,
      at: new Date(0),
    });
    await HANDLERS.dns!(stale);
    expect(proxy.requests.filter((r) => r.kind === 'audit')).toHaveLength(1);
    expect(proxy.writes()).toEqual([]);

    // No TLS endpoint answers here, so the failover is refused — after its lease, audit and notice.
    proxy.clear();
    const refused = (await HANDLERS.dns!({ action: 'failover', reason: 'control' })) as {
      outcome: string;
    };
    expect(refused.outcome).toBe('refused');
    expect(proxy.writes()).toEqual(
      expect.arrayContaining(['dynamodb PutItem', 'dynamodb DeleteItem', 'sns Publish']),
    );
  });
});
