import { Resolver } from 'node:dns/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderServerBlocks, type ForwardingPlan } from '../src/core/coredns-render';
import { conflictingZones } from '../src/core/custom-configmap';
import { aksStyleCorefile, startCoreDns, type CoreDnsRun } from '../../cli/emulator/coredns';
import { startStubResolver, type StubResolver } from '../../cli/emulator/stub-resolver';

// Real CoreDNS (the pinned release scripts/setup-coredns.sh builds) loads every rendered config
// together with an AKS-style default Corefile and answers through stub resolvers on loopback.

let route53: StubResolver;
let route53Second: StubResolver;
let azureDns: StubResolver;

beforeAll(async () => {
  const answers = {
    'sentry.internal.example.com': '10.20.0.7',
    'vault.svc.internal.example.com': '10.20.0.8',
    'grafana.tools.example.net': '10.20.0.9',
  };
  route53 = await startStubResolver(answers);
  route53Second = await startStubResolver(answers);
  azureDns = await startStubResolver({ 'www.example.org': '192.0.2.80' });
});

afterAll(async () => {
  await Promise.all([route53?.close(), route53Second?.close(), azureDns?.close()]);
});

function resolverAt(run: CoreDnsRun): Resolver {
  const resolver = new Resolver({ timeout: 3000, tries: 1 });
  resolver.setServers([`127.0.0.1:${run.port}`]);
  return resolver;
}

async function withCoreDns<T>(
  customFiles: Record<string, string>,
  use: (run: CoreDnsRun) => Promise<T>,
): Promise<T> {
  const started = await startCoreDns(aksStyleCorefile(azureDns.address), customFiles);
  if (!started.loaded) throw new Error(`CoreDNS did not load:\n${started.output}`);
  try {
    return await use(started.run);
  } finally {
    await started.run.stop();
  }
}

function render(plan: Partial<ForwardingPlan>): Record<string, string> {
  const rendered = renderServerBlocks({
    zones: ['internal.example.com'],
    ips: [route53.address],
    region: 'eu-west-1',
    resolverEndpointId: 'rslvr-in-0abc',
    cacheSeconds: 30,
    ...plan,
  });
  if (!rendered.ok) throw new Error(rendered.problems.join('; '));
  // AKS mounts each ConfigMap key as a file of that name under custom/.
  return rendered.data;
}

describe('every rendered config loads in real CoreDNS and forwards its zones', () => {
  const cases: { name: string; plan: () => Partial<ForwardingPlan>; names: string[] }[] = [
    { name: 'one zone, one resolver', plan: () => ({}), names: ['sentry.internal.example.com'] },
    {
      name: 'two zones, two resolvers (sequential)',
      plan: () => ({
        zones: ['internal.example.com', 'tools.example.net'],
        ips: [route53.address, route53Second.address],
      }),
      names: ['sentry.internal.example.com', 'grafana.tools.example.net'],
    },
    {
      name: 'a zone and a zone inside it',
      plan: () => ({
        zones: ['internal.example.com', 'svc.internal.example.com'],
        cacheSeconds: 5,
      }),
      names: ['sentry.internal.example.com', 'vault.svc.internal.example.com'],
    },
  ];

  it.each(cases)('$name', async ({ plan, names }) => {
    const data = render(plan());
    const answered = await withCoreDns(data, async (run) => {
      const resolver = resolverAt(run);
      const forwarded = await Promise.all(names.map((name) => resolver.resolve4(name)));
      // Names outside the zones still go the default block's way (Azure DNS here).
      const other = await resolver.resolve4('www.example.org');
      return { forwarded, other };
    });
    expect(answered.forwarded).toEqual(
      names.map((name) =>
        name.startsWith('sentry')
          ? ['10.20.0.7']
          : name.startsWith('vault')
            ? ['10.20.0.8']
            : ['10.20.0.9'],
      ),
    );
    expect(answered.other).toEqual(['192.0.2.80']);
    for (const name of names)
      expect(route53.questions.concat(route53Second.questions)).toContain(name);
    expect(route53.questions).not.toContain('www.example.org');
  });

  it('with sequential policy the lower address answers while it is healthy', async () => {
    const [first, second] = [route53, route53Second].sort((a, b) => byIpv4(a.address, b.address));
    const before = [first!.questions.length, second!.questions.length];
    await withCoreDns(render({ ips: [second!.address, first!.address] }), async (run) => {
      const resolver = resolverAt(run);
      // Distinct names, so the cache does not answer for the upstreams.
      for (const host of ['sentry', 'vault.svc', 'nope-1', 'nope-2']) {
        await resolver.resolve4(`${host}.internal.example.com`).catch(() => undefined);
      }
    });
    expect(first!.questions.length - before[0]!).toBe(4);
    expect(second!.questions.length - before[1]!).toBe(0);
  });
});

describe('configs that would not load are never produced', () => {
  it('CoreDNS refuses a second server for `.` in a .server entry, and the renderer cannot make one', async () => {
    const started = await startCoreDns(aksStyleCorefile(azureDns.address), {
      'broken.server': `. {\n    forward . ${route53.address}:53\n}\n`,
    });
    expect(started.loaded).toBe(false);
    expect(started.loaded ? '' : started.output).toMatch(
      /already defined|used more than once|twice/i,
    );
    for (const zone of ['.', '', '.:53']) {
      const rendered = renderServerBlocks({
        zones: [zone],
        ips: ['10.0.1.10'],
        region: 'eu-west-1',
        resolverEndpointId: 'rslvr-in-0abc',
        cacheSeconds: 30,
      });
      expect(rendered.ok, zone).toBe(false);
    }
  });

  it("CoreDNS refuses our zone next to someone else's .server for it, and the conflict check catches it", async () => {
    // Written without `:53`, like ours, so that here it shares the test server's port (on AKS
    // both would be 53; the conflict check reads a missing port as 53).
    const others = {
      'team.server': `internal.example.com {\n    forward . ${azureDns.address}:53\n}\n`,
    };
    const ours = render({});
    const started = await startCoreDns(aksStyleCorefile(azureDns.address), { ...others, ...ours });
    expect(started.loaded).toBe(false);
    expect(started.loaded ? '' : started.output).toMatch(
      /already defined|used more than once|twice/i,
    );
    expect(conflictingZones(others, ['internal.example.com'])).toEqual([
      { zone: 'internal.example.com', key: 'team.server' },
    ]);
    // Someone else's entry for another zone loads fine beside ours and is no conflict.
    const unrelated = {
      'team.server': `corp.example.org {\n    forward . ${azureDns.address}:53\n}\n`,
    };
    expect(conflictingZones(unrelated, ['internal.example.com'])).toEqual([]);
    await withCoreDns({ ...unrelated, ...ours }, async (run) => {
      expect(await resolverAt(run).resolve4('sentry.internal.example.com')).toEqual(['10.20.0.7']);
    });
  });
});

function byIpv4(a: string, b: string): number {
  const value = (ip: string) => ip.split('.').reduce((sum, octet) => sum * 256 + Number(octet), 0);
  return value(a) - value(b);
}
