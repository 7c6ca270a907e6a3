/**
 * The DNS failover's world for integration tests: the seeded example estate in moto, plus a
 * local TLS endpoint per cluster (drill-CA certificates, 127.0.0.1) and a resolver that sends
 * `primary.example.com` / `dr.example.com` there, the drill CA trusted through
 * `dns.checks.caBundle`. Also request counters, fault injectors and helpers every DNS test uses.
 */
import type { Route53Client } from '@aws-sdk/client-route-53';
import { afterEach } from 'vitest';
import {
  serveClusterEndpoints,
  type ClusterEndpoints,
} from '../../cli/embedded/tls/cluster-endpoints';
import { createDrillCa, type DrillCa } from '../../cli/embedded/tls/drill-certificates';
import type {
  LocalTlsEndpoint,
  TlsEndpointOptions,
} from '../../cli/embedded/tls/local-tls-endpoint';
import { dynamoDbDocumentClient, route53Client } from '../../lambdas/adapters/aws/clients';
import { readRecord } from '../../lambdas/adapters/aws/route53-records';
import { StateStore } from '../../lambdas/adapters/aws/state-store';
import type { DrpilotConfig, Side } from '../../lambdas/core/config/schema';
import type { Resolver } from '../../lambdas/adapters/tls/tls-probe';
import { runResync } from '../../lambdas/resync/run-resync';
import type { SwitchOptions } from '../../lambdas/dns/run-switch';
import { seedExampleEstate } from './seeded-estate';

export interface DnsEstate {
  /** The seeded config with the drill CA in dns.checks.caBundle. */
  config: DrpilotConfig;
  ca: DrillCa;
  endpoints: Record<Side, LocalTlsEndpoint>;
  resolver: Resolver;
  /** Options for runSwitch: no real sleeps, a 1 ms INSYNC poll; override what a test needs. */
  options(overrides?: Partial<SwitchOptions>): SwitchOptions;
  /** The CNAME of a name (default dns.recordName), as Route 53 holds it. */
  record(name?: string): Promise<{ target: string | null; ttl: number | null }>;
  store(now?: () => number): StateStore;
}

export interface SeedDnsEstateOptions {
  /** Copy the primary's backups to dr first, so a failover's backup-fresh check passes (default true). */
  resync?: boolean;
  /** Certificates to serve instead of good ones; a function gets the drill CA. */
  certificates?: Partial<Record<Side, (ca: DrillCa) => Promise<TlsEndpointOptions>>>;
  /** Leave the drill CA out of dns.checks.caBundle. */
  trustDrillCa?: boolean;
}

const noSleep = async () => undefined;

/**
 * Registers an afterEach that closes every TLS endpoint the file's tests started; returns the
 * seeding function. Call at the top level of a test file, after useMoto().
 */
export { writeBackup } from '../../cli/embedded/seed-backups';

export function useDnsEstate(): (options?: SeedDnsEstateOptions) => Promise<DnsEstate> {
  const open: ClusterEndpoints[] = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((served) => served.close()));
  });
  return async (options = {}) => {
    const estate = await seedExampleEstate();
    const ca = await createDrillCa();
    const config: DrpilotConfig = structuredClone(estate.config);
    if (options.trustDrillCa ?? true) config.dns.checks.caBundle = ca.certPem;
    const certificates = options.certificates ?? {};
    const served = await serveClusterEndpoints(config, ca, {
      ...(certificates.primary ? { primary: () => certificates.primary!(ca) } : {}),
      ...(certificates.dr ? { dr: () => certificates.dr!(ca) } : {}),
    });
    open.push(served);
    const { endpoints, resolver } = served;
    if (options.resync ?? true) {
      const resync = await runResync(config, { dryRun: false, trigger: 'test' });
      if (resync.outcome !== 'copied')
        throw new Error(`seeding: re-sync did not copy: ${JSON.stringify(resync)}`);
    }
    return {
      config,
      ca,
      endpoints,
      resolver,
      options: (overrides = {}) => ({
        action: 'failover',
        reason: 'integration test',
        trigger: 'test',
        origin: { kind: 'manual' },
        force: false,
        dryRun: false,
        drill: false,
        resolver,
        insyncPollMs: 1,
        sleep: noSleep,
        ...overrides,
      }),
      async record(name = config.dns.recordName) {
        const found = await readRecord(route53Client(), config.dns.hostedZoneId, name, 'CNAME');
        return { target: found?.values[0] ?? null, ttl: found?.ttl ?? null };
      },
      store: (now = Date.now) =>
        new StateStore(dynamoDbDocumentClient(config.controlRegion), config.stateTable, now),
    };
  };
}

export interface CommandCounts {
  /** Every send of a command by application code (SDK retries not counted), by name. */
  sent: Record<string, number>;
  /** Sends that returned a result, by name. */
  succeeded: Record<string, number>;
  /** Total sends. */
  total(): number;
}

/**
 * Counts the commands sent through a client, outside the SDK's retry loop: what application code
 * asked for and what it got back. Stays on the (cached) client until the cache is cleared.
 */
export function countCommands(client: {
  middlewareStack: Route53Client['middlewareStack'];
}): CommandCounts {
  const counts: CommandCounts = {
    sent: {},
    succeeded: {},
    total: () => Object.values(counts.sent).reduce((sum, n) => sum + n, 0),
  };
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const name = (context.commandName ?? 'unknown').replace(/Command$/, '');
      counts.sent[name] = (counts.sent[name] ?? 0) + 1;
      const result = await next(args);
      counts.succeeded[name] = (counts.succeeded[name] ?? 0) + 1;
      return result;
    },
    { step: 'initialize', name: 'drpilotTestCountCommands', priority: 'high' },
  );
  return counts;
}

/** An error shaped like the SDK's for a service error `name` (a 400 client fault). */
export function serviceError(name: string, message = `injected ${name}`): Error {
  return Object.assign(new Error(message), {
    name,
    $fault: 'client',
    $metadata: { httpStatusCode: 400, attempts: 1 },
  });
}

/** A small seeded PRNG (mulberry32): the same faults on every run. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface SdkRetryLog {
  /** Retries the SDK's own strategy made (each one after a failed attempt). */
  retries: number;
  /** Error names it retried. */
  retried: string[];
}

/**
 * Swaps the client's SDK retry strategy (drpilot's: adaptive, AWS_MAX_ATTEMPTS or 5 attempts,
 * Throttling backed off from 1 s) for one that retries throttling and transient errors the
 * same number of times but without waiting, so a test of throttling needs no real sleeps.
 */
export function instantSdkRetries(client: Route53Client, maxAttempts = 5): SdkRetryLog {
  const log: SdkRetryLog = { retries: 0, retried: [] };
  const token = (count: number) => ({
    getRetryCount: () => count,
    getRetryDelay: () => 0,
    getRetryCost: () => undefined,
  });
  const strategy = {
    mode: 'standard',
    acquireInitialRetryToken: async () => token(0),
    refreshRetryTokenForRetry: async (
      previous: ReturnType<typeof token>,
      info: { errorType: string; error: { name?: string } },
    ) => {
      const retryable = info.errorType === 'THROTTLING' || info.errorType === 'TRANSIENT';
      if (!retryable || previous.getRetryCount() + 1 >= maxAttempts)
        throw new Error('No retry token available');
      log.retries++;
      log.retried.push(info.error.name ?? 'Error');
      return token(previous.getRetryCount() + 1);
    },
    recordSuccess: () => undefined,
  };
  (client.config as { retryStrategy: () => Promise<unknown> }).retryStrategy = async () => strategy;
  return log;
}

/** The EventBridge "CloudWatch Alarm State Change" fixture, rewritten for one alarm and state. */
export function alarmEvent(
  fixture: Record<string, any>,
  alarmName: string,
  state: 'ALARM' | 'OK' | 'INSUFFICIENT_DATA',
  previous: 'ALARM' | 'OK' | 'INSUFFICIENT_DATA' = 'OK',
): Record<string, any> {
  const event = structuredClone(fixture);
  // Stamped now: drpilot refuses alarm events older than triggers.maxEventAgeSeconds.
  const now = new Date();
  event.time = now.toISOString().replace(/\.\d+Z$/, 'Z');
  event.detail.state.timestamp = now.toISOString().replace('Z', '+0000');
  event.detail.alarmName = alarmName;
  event.resources = [`arn:aws:cloudwatch:us-east-1:123456789012:alarm:${alarmName}`];
  event.detail.state.value = state;
  event.detail.previousState.value = previous;
  return event;
}
