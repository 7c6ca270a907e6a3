import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { renderServerBlocks, type ForwardingPlan } from '../src/core/coredns-render';
import { conflictingZones, mergeCustomData } from '../src/core/custom-configmap';

const plan: ForwardingPlan = {
  zones: ['internal.example.com', 'Tools.Example.NET.'],
  ips: ['10.0.2.10', '10.0.1.10'],
  region: 'eu-central-1',
  resolverEndpointId: 'rslvr-in-0def',
  cacheSeconds: 30,
};

const golden = (name: string) =>
  readFileSync(new URL(`./fixtures/golden/${name}`, import.meta.url), 'utf8');

describe('renderServerBlocks: golden output', () => {
  it('renders one drpilot.<zone>.server entry per zone, sorted, addresses in numeric order', () => {
    const rendered = renderServerBlocks(plan);
    expect(rendered.ok && Object.keys(rendered.data)).toEqual([
      'drpilot.internal.example.com.server',
      'drpilot.tools.example.net.server',
    ]);
    if (!rendered.ok) return;
    for (const [key, text] of Object.entries(rendered.data)) expect(text).toBe(golden(key));
  });

  it('renders the same entries whatever order the addresses and zones come in', () => {
    const shuffled = { ...plan, zones: [...plan.zones].reverse(), ips: [...plan.ips].reverse() };
    expect(renderServerBlocks(shuffled)).toEqual(renderServerBlocks(plan));
  });
});

describe('renderServerBlocks: refuses anything that could not load or would break cluster DNS', () => {
  const refusals: { name: string; change: Partial<ForwardingPlan>; problem: RegExp }[] = [
    { name: 'the root zone', change: { zones: ['.'] }, problem: /root zone/ },
    { name: 'an address as zone', change: { zones: ['.:53'] }, problem: /label/ },
    { name: 'a brace', change: { zones: ['internal.example.com {'] }, problem: /label/ },
    { name: 'whitespace', change: { zones: ['internal example.com'] }, problem: /label/ },
    { name: 'an env placeholder', change: { zones: ['{$ZONE}.example.com'] }, problem: /label/ },
    { name: 'a comment', change: { zones: ['example.com#'] }, problem: /label/ },
    { name: 'cluster.local', change: { zones: ['cluster.local'] }, problem: /kubernetes plugin/ },
    {
      name: 'a reverse zone',
      change: { zones: ['10.in-addr.arpa'] },
      problem: /kubernetes plugin/,
    },
    {
      name: 'a zone twice',
      change: { zones: ['a.example.com', 'A.example.com.'] },
      problem: /twice/,
    },
    { name: 'no zone', change: { zones: [] }, problem: /at least one zone/ },
    {
      name: 'a 64-character label',
      change: { zones: [`${'a'.repeat(64)}.com`] },
      problem: /label/,
    },
    { name: 'no address', change: { ips: [] }, problem: /at least one/ },
    { name: 'an address with a port', change: { ips: ['10.0.1.10:53'] }, problem: /IPv4/ },
    { name: 'a leading zero', change: { ips: ['10.0.01.10'] }, problem: /IPv4/ },
    { name: 'an octet over 255', change: { ips: ['10.0.1.256'] }, problem: /IPv4/ },
    { name: 'a file as upstream', change: { ips: ['/etc/resolv.conf'] }, problem: /IPv4/ },
    { name: 'multicast', change: { ips: ['224.0.0.1'] }, problem: /multicast/ },
    { name: '0.0.0.0', change: { ips: ['0.0.0.0'] }, problem: /0\.0\.0\.0/ },
    { name: 'an address twice', change: { ips: ['10.0.1.10', '10.0.1.10'] }, problem: /twice/ },
    {
      name: '16 addresses',
      change: { ips: Array.from({ length: 16 }, (_, i) => `10.0.1.${i + 1}`) },
      problem: /15 upstreams/,
    },
    { name: 'a region with a newline', change: { region: 'eu-west-1\n}' }, problem: /region/ },
    {
      name: 'an endpoint id with a space',
      change: { resolverEndpointId: 'rslvr-in-0abc x' },
      problem: /rslvr-in/,
    },
    { name: 'a cache longer than 300 s', change: { cacheSeconds: 301 }, problem: /cacheSeconds/ },
    { name: 'a cache of 0', change: { cacheSeconds: 0 }, problem: /cacheSeconds/ },
  ];

  it.each(refusals)('$name', ({ change, problem }) => {
    const rendered = renderServerBlocks({ ...plan, ...change });
    expect(rendered.ok).toBe(false);
    expect(rendered.ok ? [] : rendered.problems.join('\n')).toMatch(problem);
  });

  it('never writes forward into an .override, nor a `.` server', () => {
    const rendered = renderServerBlocks(plan);
    if (!rendered.ok) throw new Error('expected a rendering');
    for (const [key, text] of Object.entries(rendered.data)) {
      expect(key).toMatch(/^drpilot\..+\.server$/);
      expect(text).not.toMatch(/^\.(:\d+)?\s*\{/m);
    }
  });
});

describe('the shared coredns-custom ConfigMap', () => {
  it("replaces drpilot's entries and keeps everyone else's", () => {
    const current = {
      'log.override': 'log\n',
      'drpilot.old.example.com.server': 'old\n',
      'team.server': 'corp.example.org {\n}\n',
    };
    expect(mergeCustomData(current, { 'drpilot.internal.example.com.server': 'new\n' })).toEqual({
      'log.override': 'log\n',
      'team.server': 'corp.example.org {\n}\n',
      'drpilot.internal.example.com.server': 'new\n',
    });
  });

  it('finds a zone another .server entry serves on port 53, in any spelling', () => {
    const others = {
      'a.server':
        '# internal.example.com { in a comment\ndns://Internal.Example.com.:53 {\n  errors\n}\n',
      'b.server': 'other.example.com:5353 internal.example.com:5353 {\n}\n',
      'c.server': '(snippet) {\n  errors\n}\nimport internal.example.com\n',
      'd.override': 'internal.example.com {\n}\n',
    };
    expect(conflictingZones(others, ['internal.example.com'])).toEqual([
      { zone: 'internal.example.com', key: 'a.server' },
    ]);
  });
});
