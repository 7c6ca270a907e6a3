import { z } from 'zod';
import { checkResolverIp, normalizeZone } from './dns-names';

/**
 * The AWS → Azure events of the public contract ("AWS → Azure events" in DESIGN.md): an envelope
 * `{ id, seq, type, time, data }` whose `data` depends on `type`. Unknown keys are dropped, so a
 * newer sender that adds a field is not refused; a missing or malformed known field is.
 */

export const EVENT_TYPES = ['dns.failover', 'resolver.ips', 'tunnel.state', 'ping'] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/** Also a Table Storage RowKey part, which may not hold `/`, `\`, `#`, `?` or control characters. */
const eventId = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/, {
  error: 'expected 1–128 letters, digits, ".", "_", ":" or "-", starting with a letter or digit',
});
const region = z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d{1,2}$/, {
  error: 'expected an AWS region such as eu-west-1',
});
const hostname = z
  .string()
  .max(254)
  .transform((raw, ctx) => {
    const checked = normalizeZone(raw);
    if ('error' in checked) {
      ctx.addIssue({ code: 'custom', message: checked.error });
      return z.NEVER;
    }
    return checked.zone;
  });
const ipv4 = z.string().superRefine((ip, ctx) => {
  const problem = checkResolverIp(ip);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

const failoverData = z.object({
  activeSide: z.enum(['primary', 'dr'], { error: 'expected "primary" or "dr"' }),
  activeRegion: region,
  recordName: hostname,
  target: hostname,
  changeId: z.string().min(1).max(128),
});

// CoreDNS's forward plugin takes at most 15 upstreams (plugin/forward/README.md, "Syntax").
const MAX_RESOLVER_IPS = 15;

const resolverIpsData = z.object({
  region,
  resolverEndpointId: z.string().regex(/^rslvr-in-[0-9a-z]+$/, {
    error: 'expected an inbound resolver endpoint id (rslvr-in-…)',
  }),
  // Empty is meaningful: the endpoint has no ATTACHED address left.
  ips: z.array(ipv4).max(MAX_RESOLVER_IPS),
  zones: z.array(hostname).min(1).max(20),
});

const tunnelStateData = z.object({
  vpnConnectionId: z.string().regex(/^vpn-[0-9a-f]+$/, {
    error: 'expected a VPN connection id such as vpn-0abc1234',
  }),
  tunnels: z
    .array(z.object({ outsideIp: ipv4, up: z.boolean() }))
    .min(1)
    .max(4),
});

const envelope = {
  id: eventId,
  seq: z.int().min(0).max(Number.MAX_SAFE_INTEGER),
  time: z.iso.datetime({ offset: true, error: 'expected an ISO 8601 date-time' }),
};

const eventSchema = z.discriminatedUnion(
  'type',
  [
    z.object({ ...envelope, type: z.literal('dns.failover'), data: failoverData }),
    z.object({ ...envelope, type: z.literal('resolver.ips'), data: resolverIpsData }),
    z.object({ ...envelope, type: z.literal('tunnel.state'), data: tunnelStateData }),
    z.object({ ...envelope, type: z.literal('ping'), data: z.object({}) }),
  ],
  { error: `expected one of ${EVENT_TYPES.map((t) => `"${t}"`).join(', ')}` },
);

export type DrpilotEvent = z.infer<typeof eventSchema>;
export type FailoverEvent = Extract<DrpilotEvent, { type: 'dns.failover' }>;
export type ResolverIpsEvent = Extract<DrpilotEvent, { type: 'resolver.ips' }>;
export type TunnelStateEvent = Extract<DrpilotEvent, { type: 'tunnel.state' }>;

export interface FieldError {
  path: string;
  message: string;
}

export type ParsedEvent = { ok: true; event: DrpilotEvent } | { ok: false; errors: FieldError[] };

/** Validates an already JSON-parsed body; every error names the field (`data.ips[1]`). */
export function parseEvent(body: unknown): ParsedEvent {
  const result = eventSchema.safeParse(body);
  if (result.success) return { ok: true, event: result.data };
  return {
    ok: false,
    errors: result.error.issues.map((issue) => ({
      path: formatPath(issue.path),
      message: issue.message,
    })),
  };
}

function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? String(part) : `.${String(part)}`;
  }
  return out === '' ? '(body)' : out;
}
