import { DRPILOT_KEY_PREFIX, RESOLVER_PORT } from './coredns-render';

/**
 * drpilot shares `coredns-custom` with whatever else the cluster's owners put there: it replaces
 * only its own `drpilot.*` entries and keeps every other one as it is.
 */
export function mergeCustomData(
  current: Readonly<Record<string, string>>,
  ours: Readonly<Record<string, string>>,
): Record<string, string> {
  const merged: Record<string, string> = {};
  for (const [key, value] of Object.entries(current)) {
    if (!key.startsWith(DRPILOT_KEY_PREFIX)) merged[key] = value;
  }
  return { ...merged, ...ours };
}

/**
 * Zones of ours that another `.server` entry already serves on the same port: CoreDNS refuses to
 * start when one ZONE and PORT combination is given to two servers (coredns/coredns corefile.5.md),
 * so writing ours next to it would take the cluster's DNS down.
 */
export function conflictingZones(
  current: Readonly<Record<string, string>>,
  ourZones: readonly string[],
): { zone: string; key: string }[] {
  const conflicts: { zone: string; key: string }[] = [];
  for (const [key, text] of Object.entries(current)) {
    if (key.startsWith(DRPILOT_KEY_PREFIX) || !key.endsWith('.server')) continue;
    for (const address of topLevelAddresses(text)) {
      const served = parseAddress(address);
      if (served && served.port === RESOLVER_PORT && ourZones.includes(served.zone)) {
        conflicts.push({ zone: served.zone, key });
      }
    }
  }
  return conflicts;
}

/** The server addresses of a Corefile fragment: the tokens before each top-level `{`. */
function topLevelAddresses(text: string): string[] {
  const tokens = text
    .replace(/#[^\n]*/g, '')
    .split(/([{}]|\s+)/)
    .filter((token) => token.trim() !== '');
  const addresses: string[] = [];
  let depth = 0;
  let pending: string[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i] as string;
    if (token === '{') {
      if (depth === 0) addresses.push(...pending.filter((t) => !t.startsWith('(')));
      pending = [];
      depth++;
    } else if (token === '}') depth = Math.max(0, depth - 1);
    else if (depth === 0) {
      if (token === 'import')
        i++; // `import PATTERN` at the top level names a file, not a zone
      else pending.push(token);
    }
  }
  return addresses;
}

/** `dns://example.org.:53` → zone example.org, port 53; the port defaults to the DNS port. */
function parseAddress(address: string): { zone: string; port: number } | undefined {
  const match = /^(?:dns:\/\/)?([^:]*)(?::(\d+))?$/.exec(address.toLowerCase());
  if (!match) return undefined;
  const zone = (match[1] ?? '').replace(/\.$/, '');
  return { zone: zone === '' ? '.' : zone, port: match[2] ? Number(match[2]) : RESOLVER_PORT };
}
