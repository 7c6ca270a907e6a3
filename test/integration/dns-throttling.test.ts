/**
 * Route 53 allows 5 requests a second per account, shared with every external-dns: throttling is
 * normal. Faults are injected at two depths of the client's middleware stack:
 * - inside the SDK's retry loop (every Route 53 request, 30%): the SDK's own retries absorb
 *   them (its strategy swapped for an instant one: drpilot's adaptive strategy backs Throttling
 *   off from 1 s, and this test does no real waiting);
 * - outside it, on ChangeResourceRecordSets (30%): as if the SDK had run out of attempts, so
 *   runSwitch's own jittered backoff retries (with an injected sleep).
 * Draws are keyed by (command, input, attempt), so the faults do not depend on how the parallel
 * reads interleave.
 */
import { createHash } from 'node:crypto';
import type { Route53Client } from '@aws-sdk/client-route-53';
import { describe, expect, it } from 'vitest';
import { route53Client } from '../../lambdas/adapters/aws/clients';
import { BACKOFF_CAP_MS, backoffDelayMs } from '../../lambdas/core/dns/change-batch';
import { stateKeys } from '../../lambdas/core/state-keys';
import { runSwitch } from '../../lambdas/dns/run-switch';
import {
  countCommands,
  instantSdkRetries,
  serviceError,
  useDnsEstate,
} from '../support/dns-estate';
import { useMoto } from '../support/moto';

useMoto();
const seed = useDnsEstate();

const THROTTLES = ['Throttling', 'PriorRequestNotComplete'] as const;

interface FaultLog {
  /** Faults thrown, by command. */
  thrown: Record<string, number>;
  /** Requests let through that came back with a result, by command. */
  passed: Record<string, number>;
}

/**
 * Throws Throttling or PriorRequestNotComplete (half each) on `rate` of the requests of the
 * matching commands, decided by a hash of (seed, depth, command, input, attempt).
 */
function injectThrottling(
  client: Route53Client,
  options: {
    seed: number;
    rate: number;
    depth: 'inside-sdk-retries' | 'outside-sdk-retries';
    commands?: string[];
  },
): FaultLog {
  const log: FaultLog = { thrown: {}, passed: {} };
  const attempts = new Map<string, number>();
  const draw = (key: string) => {
    const n = attempts.get(key) ?? 0;
    attempts.set(key, n + 1);
    const digest = createHash('sha256')
      .update(`${options.seed}|${options.depth}|${key}|${n}`)
      .digest();
    return { fault: digest.readUInt32BE(0) / 2 ** 32 < options.rate, kind: digest[4]! % 2 };
  };
  const throttle = async (command: string, input: unknown, send: () => Promise<unknown>) => {
    if (!options.commands || options.commands.includes(command)) {
      // Zone and change ids are moto's random ones: leave them out of the key.
      const stable = { ...(input as Record<string, unknown>) };
      delete stable.HostedZoneId;
      delete stable.Id;
      const { fault, kind } = draw(`${command}|${JSON.stringify(stable)}`);
      if (fault) {
        log.thrown[command] = (log.thrown[command] ?? 0) + 1;
        throw serviceError(THROTTLES[kind]!, 'Rate exceeded');
      }
    }
    const result = await send();
    log.passed[command] = (log.passed[command] ?? 0) + 1;
    return result;
  };
  const name = `injectThrottling-${options.depth}`;
  const commandOf = (context: { commandName?: string }) =>
    (context.commandName ?? '').replace(/Command$/, '');
  if (options.depth === 'inside-sdk-retries') {
    // The deserialize step runs inside the retry middleware (finalizeRequest): the SDK retries.
    client.middlewareStack.add(
      (next, context) => async (args) =>
        (await throttle(commandOf(context), args.input, () => next(args))) as Awaited<
          ReturnType<typeof next>
        >,
      { step: 'deserialize', name, priority: 'high' },
    );
  } else {
    client.middlewareStack.add(
      (next, context) => async (args) =>
        (await throttle(commandOf(context), args.input, () => next(args))) as Awaited<
          ReturnType<typeof next>
        >,
      { step: 'initialize', name, priority: 'low' },
    );
  }
  return log;
}

const sum = (counts: Record<string, number>) => Object.values(counts).reduce((a, b) => a + b, 0);

describe('DNS switch under Route 53 throttling', () => {
  // Seeds picked (from 1–40, all of which converge) so that every layer really retries: the SDK
  // retries both error names, ChangeResourceRecordSets itself included, and runSwitch retries too.
  it.each([9, 22, 32, 34])(
    'with 30 percent of Route 53 calls throttled (seed %i) it still converges: switched, exactly one change applied',
    async (faultSeed) => {
      const estate = await seed();
      const route53 = route53Client();
      const sent = countCommands(route53); // what runSwitch asked for, outside everything
      const sdk = instantSdkRetries(route53);
      const outside = injectThrottling(route53, {
        seed: faultSeed,
        rate: 0.3,
        depth: 'outside-sdk-retries',
        commands: ['ChangeResourceRecordSets'],
      });
      const inside = injectThrottling(route53, {
        seed: faultSeed,
        rate: 0.3,
        depth: 'inside-sdk-retries',
      });
      const sleeps: number[] = [];
      const progress: string[] = [];

      const result = await runSwitch(
        estate.config,
        estate.options({
          sleep: async (ms) => {
            sleeps.push(ms);
          },
          onProgress: (m) => progress.push(m),
        }),
      );

      expect(result, result.reason).toMatchObject({
        outcome: 'switched',
        from: 'primary',
        to: 'dr',
      });
      expect(await estate.record()).toEqual({ target: 'dr.example.com', ttl: 30 });
      // Exactly one change reached Route 53 and was applied; runSwitch saw exactly one success.
      expect(inside.passed.ChangeResourceRecordSets).toBe(1);
      expect(sent.succeeded.ChangeResourceRecordSets).toBe(1);
      // Faults were really injected, at both depths, and each was retried by the right layer.
      expect(inside.thrown.ChangeResourceRecordSets).toBeGreaterThan(0);
      expect(sdk.retries).toBe(sum(inside.thrown));
      expect(new Set(sdk.retried)).toEqual(new Set(THROTTLES));
      const appRetries = outside.thrown.ChangeResourceRecordSets ?? 0;
      expect(appRetries).toBeGreaterThan(0);
      expect(sent.sent.ChangeResourceRecordSets).toBe(appRetries + 1);
      expect(sleeps).toHaveLength(appRetries);
      sleeps.forEach((ms) => expect(ms).toBeLessThanOrEqual(BACKOFF_CAP_MS));
      expect(
        progress.filter((m) =>
          /^Route 53 answered (Throttling|PriorRequestNotComplete); retrying in \d+ ms \(attempt \d of 8\)$/.test(
            m,
          ),
        ),
      ).toHaveLength(appRetries);
      expect(
        await estate.store().activeCooldown(stateKeys.dnsRecord('main.example.com')),
      ).not.toBeNull();
    },
  );

  it('throttled on every attempt: gives up after maxAttempts with jittered backoff, outcome failed, record untouched', async () => {
    const estate = await seed();
    const route53 = route53Client();
    const sent = countCommands(route53);
    injectThrottling(route53, {
      seed: 0,
      rate: 1,
      depth: 'outside-sdk-retries',
      commands: ['ChangeResourceRecordSets'],
    });
    const sleeps: number[] = [];
    const result = await runSwitch(
      estate.config,
      estate.options({
        maxAttempts: 4,
        random: () => 0.5,
        sleep: async (ms) => {
          sleeps.push(ms);
        },
      }),
    );
    expect(result.outcome).toBe('failed');
    expect(result.reason).toMatch(
      /^the switch failed: (Throttling|PriorRequestNotComplete): Rate exceeded$/,
    );
    expect(sent.sent.ChangeResourceRecordSets).toBe(4);
    expect(sleeps).toEqual([0, 1, 2].map((attempt) => backoffDelayMs(attempt, 0.5)));
    expect(sleeps).toEqual([100, 200, 400]);
    expect(await estate.record()).toEqual({ target: 'primary.example.com', ttl: 30 });
    const store = estate.store();
    expect(await store.activeCooldown(stateKeys.dnsRecord('main.example.com'))).toBeNull();
    expect(await store.readLease(stateKeys.dnsRecord('main.example.com'))).toBeNull();
    const [audited] = await store.recentAudit('dns');
    expect(audited).toMatchObject({ outcome: 'failed', reason: result.reason });
  });
});

describe('DNS switch: GetChange failing after the change was applied', () => {
  // An error from GetChange (here Throttling past the SDK's retries) comes after the record has
  // moved: the switch must still count, with its cooldown and failover time recorded.
  it('a GetChange error after the change applied is still switched, with a warning', async () => {
    const estate = await seed();
    route53Client().middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'GetChangeCommand') throw serviceError('Throttling');
        return next(args);
      },
      { step: 'initialize', name: 'getChangeAlwaysThrottled' },
    );
    const result = await runSwitch(estate.config, estate.options());
    expect(await estate.record()).toEqual({ target: 'dr.example.com', ttl: 30 });
    expect(result).toMatchObject({ outcome: 'switched', from: 'primary', secondsToInsync: null });
    expect(result.changeId).toMatch(/\S/);
    expect(result.warnings).toEqual([expect.stringMatching(/INSYNC/)]);
    expect(
      await estate.store().activeCooldown(stateKeys.dnsRecord('main.example.com')),
    ).not.toBeNull();
  });
});
