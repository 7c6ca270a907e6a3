import { afterEach, expect } from 'vitest';
import { setHealthAlarm } from '../../cli/embedded/seed-alarms';
import { dnsResolver } from '../../lambdas/adapters/tls/tls-probe';
import { dynamoDbClient, dynamoDbDocumentClient } from '../../lambdas/adapters/aws/clients';
import { ApprovalStore } from '../../lambdas/adapters/aws/approval-store';
import { approveRequest, type DecisionAnswer } from '../../lambdas/approval/decide-approval';
import { pendingApprovals } from '../../lambdas/approval/pending-approvals';
import type { DrpilotConfig } from '../../lambdas/core/config/schema';
import { createDnsHandler } from '../../lambdas/dns/handler';
import { resizeContext } from '../../lambdas/resize/resize-context';
import { runResize } from '../../lambdas/resize/run-resize';
import { alarmEventAs } from './alarm-events';
import { useDnsEstate, type DnsEstate } from './dns-estate';
import { fast, GROUP, publishCpu, type ResizeEstate } from './resize-estate';

/**
 * What the approval tests share: the DNS estate in approval mode with the primary down and the
 * DNS function over it, `approve` with instant waits, the resize estate with a resize that waits
 * for approval, the stored request, the config as a file for the CLI, a clock moved on, a process
 * crash injected into the state table's client, and the one winner among concurrent decisions.
 */

export const ACCOUNT = '123456789012';
export const noSleep = async () => undefined;

/** A clock `seconds` ahead of the real one. */
export const after = (seconds: number) => () => new Date(Date.now() + seconds * 1000);

/** The request `id` as the state table holds it. */
export const storedApproval = (config: DrpilotConfig, id: string) =>
  new ApprovalStore(dynamoDbDocumentClient(config.controlRegion), config.stateTable).get(id);

/**
 * The DNS estate (test/support/dns-estate.ts) with dns.mode "approve", the config in
 * DRPILOT_CONFIG_JSON, the primary's health alarm in ALARM, and the DNS function over it: `alarm`
 * delivers the primary's alarm as EventBridge does, `replan` the every-minute re-plan.
 */
export function useApproveModeDns(awsRequestId: string) {
  const seed = useDnsEstate();
  afterEach(() => {
    delete process.env.DRPILOT_CONFIG_JSON;
  });
  const context = {
    awsRequestId,
    invokedFunctionArn: `arn:aws:lambda:us-east-1:${ACCOUNT}:function:acme-drpilot-dns`,
  } as never;
  return async () => {
    const estate = await seed();
    estate.config.dns.mode = 'approve';
    process.env.DRPILOT_CONFIG_JSON = JSON.stringify(estate.config);
    await setHealthAlarm(estate.config, 'primary', 'ALARM', 'test: primary down');
    const handler = createDnsHandler({
      resolver: estate.resolver,
      sleep: noSleep,
      insyncPollMs: 1,
    }) as (event: unknown, context: never) => Promise<Record<string, any>>;
    const alarm = () =>
      handler(
        alarmEventAs('eventbridge', {
          alarmName: estate.config.clusters.primary.healthAlarm,
          state: 'ALARM',
          region: 'us-east-1',
          account: ACCOUNT,
          at: new Date(Date.now() - 2000),
        }),
        context,
      );
    const replan = () => handler({ action: 'reconcile' }, context);
    return { estate, alarm, replan };
  };
}

/** `approve` of a DNS request by alice with instant waits; `over` replaces any option. */
export const approveDns = (
  estate: DnsEstate,
  id: string,
  over: Partial<Parameters<typeof approveRequest>[2]> = {},
) =>
  approveRequest(estate.config, id, {
    by: 'alice',
    dryRun: false,
    resolver: estate.resolver,
    switchOptions: { sleep: noSleep, insyncPollMs: 1 },
    ...over,
  });

/**
 * dns.mode "approve", the primary down, a pending failover, and alice's approval of it crashed
 * right after it was won (the transaction that marks it approved succeeded; nothing after it
 * reaches the table): approved, attempt 1, no result, Route 53 untouched.
 */
export async function interruptedDnsFailover(
  approveModeEstate: ReturnType<typeof useApproveModeDns>,
) {
  const { estate, alarm } = await approveModeEstate();
  const pending = await alarm();
  expect(pending).toMatchObject({ outcome: 'pending' });
  const id = pending.approvalId as string;
  const crash = crashProcess({ after: startsAttempt });
  await dies(approveDns(estate, id, { by: 'alice' }));
  expect(crash.crashed()).toBe(true);
  crash.revive();
  const left = await storedApproval(estate.config, id);
  expect(left).toMatchObject({
    status: 'approved',
    decidedBy: 'alice',
    result: null,
    execution: { attempt: 1 },
  });
  expect(await estate.record()).toEqual({ target: 'primary.example.com', ttl: 30 });
  return { estate, id, left: left! };
}

/** A state-table request as the SDK middleware sees it: its command and its input as JSON. */
export type RequestMatch = (commandName: string, input: string) => boolean;

/** A request that starts an attempt at an approval: approving it, or taking it over. */
export const startsAttempt: RequestMatch = (_, input) => input.includes('":execution"');

export const INJECTED_CRASH = 'injected crash: the process died';
const CRASH = 'injectProcessCrash';

/**
 * The process dies: from the moment `when` says so, every request of the control region's
 * DynamoDB client throws, so nothing the process would still write (a result, an audit entry, a
 * cooldown, a lease release) reaches the table — `after` a matching request succeeded, or `at`
 * one (it is never sent). `revive` (also after each test) gives the client back to the test.
 */
export function crashProcess(when: { after: RequestMatch } | { at: RequestMatch }) {
  const client = dynamoDbClient('us-east-1');
  let dead = false;
  let crashed = false;
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const input = JSON.stringify(args.input);
      if (!dead && 'at' in when && when.at(context.commandName ?? '', input)) dead = true;
      if (dead) {
        crashed = true;
        throw new Error(INJECTED_CRASH);
      }
      const result = await next(args);
      if ('after' in when && when.after(context.commandName ?? '', input)) dead = true;
      return result;
    },
    { step: 'initialize', name: CRASH, priority: 'low' },
  );
  return {
    crashed: () => crashed,
    revive: () => reviveProcess(),
  };
}

function reviveProcess() {
  dynamoDbClient('us-east-1').middlewareStack.remove(CRASH);
}

/** Registers the revival after each test of a file that crashes the process. */
export function useProcessCrashes() {
  afterEach(() => reviveProcess());
}

/** Awaits an approval that must die of the injected crash. */
export async function dies(answer: Promise<unknown>) {
  await expect(answer).rejects.toThrow(INJECTED_CRASH);
}

/**
 * Of concurrent decisions of one request, exactly one did `outcome` and the others answered that
 * it was already decided: returns that one.
 */
export function theOneThat<T extends { outcome: string }>(answers: readonly T[], outcome: string) {
  expect(answers.map((a) => a.outcome).sort()).toEqual(
    [...Array<string>(answers.length - 1).fill('already-decided'), outcome].sort(),
  );
  return answers.find((a) => a.outcome === outcome)!;
}

/**
 * The resize estate (test/support/resize-estate.ts) with the primary group's approveAboveShare at
 * 0.2 and its 3 nodes at 90% CPU: an automatic resize moves 1 of them (33%) and waits.
 */
export async function overShareEstate(estate: ResizeEstate) {
  const { config, ids } = await estate.estateWithCluster();
  config.nodeGroups.find((g) => g.id === GROUP)!.approveAboveShare = 0.2;
  await publishCpu(ids, 90);
  return { config, ids };
}

/** The automatic resize GROUP's alarm asks for, as the resize function runs it. */
export const alarmResize = (config: DrpilotConfig) =>
  runResize(config, GROUP, {
    request: { kind: 'auto' },
    dryRun: false,
    trigger: `alarm ${GROUP} up`,
    automatic: true,
    ...fast,
  });

/** overShareEstate after the automatic resize that waits: its result and the pending request. */
export async function pendingResize(estate: ResizeEstate) {
  const { config, ids } = await overShareEstate(estate);
  const held = await alarmResize(config);
  expect(held.outcome).toBe('pending');
  const [request] = await pendingApprovals(config);
  expect(request).toMatchObject({
    kind: 'resize',
    target: GROUP,
    plan: { from: ['m6i.large'], to: 'm6i.xlarge', moving: 1 },
  });
  return { config, ids, held, request: request! };
}

/** The resize state store of the estate's group. */
export const resizeStore = (config: DrpilotConfig) =>
  resizeContext(
    config,
    config.nodeGroups.find((g) => g.id === GROUP)!,
  ).store;

/** The group's audit entries of approval `id`, newest first: [action, outcome, attempt]. */
export const auditedResize = async (config: DrpilotConfig, id: string) =>
  (await resizeStore(config).recentAudit('resize'))
    .filter((e) => e['approvalId'] === id)
    .map((e) => [e['action'], e['outcome'], e['attempt']]);

/** `drpilot approve <id>` of a resize request as `by`, with the estate's fast rollout timings. */
export const approveResize = (
  config: DrpilotConfig,
  id: string,
  by: string,
  now?: () => Date,
  resizeOptions: Parameters<typeof approveRequest>[2]['resizeOptions'] = fast,
): Promise<DecisionAnswer> =>
  approveRequest(config, id, {
    by,
    dryRun: false,
    resolver: dnsResolver,
    resizeOptions,
    ...(now ? { now } : {}),
  });
