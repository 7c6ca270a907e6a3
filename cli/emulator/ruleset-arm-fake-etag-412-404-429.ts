import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { startArmHttpsServer, type ArmHttpsServer } from './arm-https-server';

/**
 * A stateful stand-in for Azure Resource Manager's Microsoft.Network/dnsForwardingRulesets paths
 * (API version 2022-07-01, the ones @azure/arm-dnsresolver 1.1.0 calls), since no emulator exists
 * for ARM. It encodes the documented rules the reconcile depends on, and only those:
 *
 * - every write gives the rule a new `etag` (body and `ETag` header);
 * - `If-Match: <etag>` that is not the rule's current etag, or names a rule that does not exist,
 *   → **412 Precondition Failed**; `If-None-Match: *` on an existing rule → **412**
 *   (microsoft/api-guidelines azure/Guidelines.md, "Conditional Requests");
 * - a rule (or ruleset) that does not exist → **404** on GET/PATCH (`ResourceNotFound`), 204 on
 *   DELETE ("return a 204-No Content … even if the URL identifies a resource that does not exist");
 * - **429 Too Many Requests** with `Retry-After: <seconds>`, once, when a test asks for it
 *   ("Request limits and throttling": the response includes a Retry-After value, the seconds to
 *   wait before sending the next request);
 * - a rule has 1–6 target DNS servers ("Target DNS servers per forwarding rule | 6") and a fully
 *   qualified `domainName` (trailing dot), else 400;
 * - ARM requires a bearer token (401) and `api-version` (400); paths compare case-insensitively.
 *
 * It speaks HTTPS (the SDK's bearer-token policy refuses plain http) with a throw-away CA that the
 * client is given as `tlsOptions.ca`.
 */

export interface FakeTarget {
  ipAddress: string;
  port: number;
}

export interface FakeRule {
  name: string;
  domainName: string;
  targetDnsServers: FakeTarget[];
  metadata: Record<string, string>;
  forwardingRuleState: string;
  etag: string;
}

export interface LoggedRequest {
  method: string;
  /** Path without the query, as sent. */
  path: string;
  status: number;
  ifMatch: string | null;
  ifNoneMatch: string | null;
  /** ms since the fake started. */
  at: number;
}

interface StoredRuleset {
  id: string;
  rules: Map<string, FakeRule>;
  links: Map<string, string>;
}

const RULESET_PATH =
  /^\/subscriptions\/([^/]+)\/resourcegroups\/([^/]+)\/providers\/microsoft\.network\/dnsforwardingrulesets\/([^/]+)(?:\/(forwardingrules|virtualnetworklinks)(?:\/([^/]+))?)?$/i;
const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

export class RulesetArmFake {
  readonly requests: LoggedRequest[] = [];
  private readonly rulesets = new Map<string, StoredRuleset>();
  private readonly started = Date.now();
  private throttle: number | undefined;
  private beforeWrite: (() => void) | undefined;
  private pageSize = 100;

  private constructor(private readonly https: ArmHttpsServer) {}

  static async start(): Promise<RulesetArmFake> {
    const https = await startArmHttpsServer('drpilot ARM fake CA');
    const fake = new RulesetArmFake(https);
    https.serve((req, res) => void fake.handle(req, res));
    return fake;
  }

  /** The SDK client's `endpoint`. */
  get endpoint(): string {
    return this.https.endpoint;
  }

  /** The CA that signed the fake's certificate: the client's `tlsOptions.ca`. */
  get caPem(): string {
    return this.https.caPem;
  }

  close(): Promise<void> {
    return this.https.close();
  }

  addRuleset(id: string): void {
    this.rulesets.set(id.toLowerCase(), { id, rules: new Map(), links: new Map() });
  }

  linkVnet(rulesetId: string, linkName: string, vnetId: string): void {
    this.ruleset(rulesetId).links.set(linkName.toLowerCase(), vnetId);
  }

  /** Another writer's PUT (unconditional): a new etag, as any write. */
  putRule(rulesetId: string, rule: Omit<FakeRule, 'etag'>): FakeRule {
    const stored = { ...rule, etag: newEtag() };
    this.ruleset(rulesetId).rules.set(rule.name.toLowerCase(), stored);
    return stored;
  }

  rule(rulesetId: string, name: string): FakeRule | undefined {
    return this.ruleset(rulesetId).rules.get(name.toLowerCase());
  }

  rules(rulesetId: string): FakeRule[] {
    return [...this.ruleset(rulesetId).rules.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  /** The next request of any kind is answered 429 with `Retry-After: seconds`, once. */
  throttleNext(seconds: number): void {
    this.throttle = seconds;
  }

  /** Runs once, just before the next write to a rule is judged: another writer in between. */
  beforeNextWrite(action: () => void): void {
    this.beforeWrite = action;
  }

  /** Lists return at most this many items per page, with a `nextLink` for the rest. */
  setPageSize(size: number): void {
    this.pageSize = size;
  }

  /** Requests to `rulesetId` (and its children) since `since` (an index into `requests`). */
  requestsTo(rulesetId: string, since = 0): LoggedRequest[] {
    const prefix = rulesetId.toLowerCase();
    return this.requests.slice(since).filter((r) => r.path.toLowerCase().startsWith(prefix));
  }

  private ruleset(id: string): StoredRuleset {
    const found = this.rulesets.get(id.toLowerCase());
    if (!found) throw new Error(`no ruleset ${id} in the fake`);
    return found;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req);
    const url = new URL(req.url ?? '/', this.endpoint);
    const header = (name: string) => {
      const value = req.headers[name];
      return typeof value === 'string' ? value : null;
    };
    const answer = (status: number, json?: unknown, headers: Record<string, string> = {}) => {
      this.requests.push({
        method: req.method ?? '',
        path: url.pathname,
        status,
        ifMatch: header('if-match'),
        ifNoneMatch: header('if-none-match'),
        at: Date.now() - this.started,
      });
      res.writeHead(status, {
        ...(json === undefined ? {} : { 'content-type': 'application/json; charset=utf-8' }),
        'x-ms-request-id': randomUUID(),
        ...headers,
      });
      res.end(json === undefined ? undefined : JSON.stringify(json));
    };
    const error = (
      status: number,
      code: string,
      message: string,
      headers?: Record<string, string>,
    ) => answer(status, { error: { code, message } }, headers);

    if (this.throttle !== undefined) {
      const seconds = this.throttle;
      this.throttle = undefined;
      return error(429, 'TooManyRequests', 'The request is being throttled.', {
        'retry-after': String(seconds),
      });
    }
    if (!/^Bearer \S+$/.test(header('authorization') ?? '')) {
      return error(401, 'AuthenticationFailed', 'Authentication failed: no bearer token.');
    }
    if (!url.searchParams.get('api-version')) {
      return error(
        400,
        'MissingApiVersionParameter',
        'The api-version query parameter (?api-version=) is required.',
      );
    }
    const match = RULESET_PATH.exec(url.pathname);
    if (!match) return error(404, 'InvalidResourceType', `No route for ${url.pathname}.`);
    const [, subscription, group, rulesetName, collection, childName] = match;
    const rulesetId = `/subscriptions/${subscription}/resourceGroups/${group}/providers/Microsoft.Network/dnsForwardingRulesets/${rulesetName}`;
    const ruleset = this.rulesets.get(rulesetId.toLowerCase());
    if (!ruleset) {
      return error(
        404,
        collection ? 'ParentResourceNotFound' : 'ResourceNotFound',
        `The Resource 'Microsoft.Network/dnsForwardingRulesets/${rulesetName}' under resource group '${group}' was not found.`,
      );
    }
    const method = req.method ?? 'GET';

    if (!collection) {
      if (method !== 'GET')
        return error(405, 'MethodNotAllowed', `${method} is not served by the fake.`);
      return answer(200, {
        id: ruleset.id,
        name: rulesetName,
        type: 'Microsoft.Network/dnsForwardingRulesets',
        properties: { provisioningState: 'Succeeded' },
      });
    }
    if (collection.toLowerCase() === 'virtualnetworklinks') {
      if (childName || method !== 'GET')
        return error(405, 'MethodNotAllowed', `${method} is not served by the fake.`);
      const links = [...ruleset.links].map(([name, vnetId]) => ({
        id: `${ruleset.id}/virtualNetworkLinks/${name}`,
        name,
        type: 'Microsoft.Network/dnsForwardingRulesets/virtualNetworkLinks',
        etag: newEtag(),
        properties: {
          virtualNetwork: { id: vnetId },
          metadata: {},
          provisioningState: 'Succeeded',
        },
      }));
      return answer(200, this.page(links, url));
    }
    if (!childName) {
      if (method !== 'GET')
        return error(405, 'MethodNotAllowed', `${method} is not served by the fake.`);
      const rules = [...ruleset.rules.values()].map((rule) => toArm(ruleset.id, rule));
      return answer(200, this.page(rules, url));
    }

    const key = childName.toLowerCase();
    const existing = ruleset.rules.get(key);
    const notFound = () =>
      error(
        404,
        'ResourceNotFound',
        `The Resource 'Microsoft.Network/dnsForwardingRulesets/${rulesetName}/forwardingRules/${childName}' was not found.`,
      );
    if (method === 'GET')
      return existing
        ? answer(200, toArm(ruleset.id, existing), { etag: existing.etag })
        : notFound();

    if (method !== 'PUT' && method !== 'PATCH' && method !== 'DELETE') {
      return error(405, 'MethodNotAllowed', `${method} is not served by the fake.`);
    }
    const hook = this.beforeWrite;
    this.beforeWrite = undefined;
    hook?.();
    const current = ruleset.rules.get(key);
    const ifMatch = header('if-match');
    const ifNoneMatch = header('if-none-match');
    const preconditionFailed = () =>
      error(
        412,
        'PreconditionFailed',
        `The condition on forwarding rule '${childName}' was not met: it changed since it was read.`,
      );
    if (ifMatch !== null && (!current || (ifMatch !== '*' && ifMatch !== current.etag))) {
      return preconditionFailed();
    }
    if (ifNoneMatch === '*' && current) return preconditionFailed();

    if (method === 'DELETE') {
      if (!current) return answer(204);
      ruleset.rules.delete(key);
      return answer(200);
    }
    let parsed: ArmRuleBody;
    try {
      parsed = JSON.parse(body) as ArmRuleBody;
    } catch {
      return error(400, 'InvalidRequestContent', 'The request content is not valid JSON.');
    }
    const props = parsed.properties ?? {};
    // PATCH merges into the stored rule; PUT replaces it.
    const base = method === 'PATCH' ? current : undefined;
    if (method === 'PATCH' && !base) return notFound();
    const next = {
      name: current?.name ?? childName,
      domainName: method === 'PUT' ? props.domainName : base?.domainName,
      targetDnsServers: props.targetDnsServers ?? base?.targetDnsServers,
      metadata: props.metadata ?? base?.metadata ?? {},
      forwardingRuleState: props.forwardingRuleState ?? base?.forwardingRuleState ?? 'Enabled',
    };
    const invalid = validate(next);
    if (invalid || next.domainName === undefined || next.targetDnsServers === undefined) {
      return error(400, 'BadRequest', invalid ?? 'domainName and targetDnsServers are required.');
    }
    const stored: FakeRule = {
      name: next.name,
      domainName: next.domainName,
      targetDnsServers: next.targetDnsServers.map((t) => ({
        ipAddress: t.ipAddress,
        port: t.port ?? 53,
      })),
      metadata: { ...next.metadata },
      forwardingRuleState: next.forwardingRuleState,
      etag: newEtag(),
    };
    ruleset.rules.set(key, stored);
    return answer(current ? 200 : 201, toArm(ruleset.id, stored), { etag: stored.etag });
  }

  private page<T>(items: T[], url: URL): { value: T[]; nextLink?: string } {
    const skip = Number(url.searchParams.get('$skipToken') ?? '0');
    const value = items.slice(skip, skip + this.pageSize);
    if (skip + this.pageSize >= items.length) return { value };
    const next = new URL(url.toString());
    next.searchParams.set('$skipToken', String(skip + this.pageSize));
    return { value, nextLink: next.toString() };
  }
}

interface ArmRuleBody {
  properties?: {
    domainName?: string;
    targetDnsServers?: { ipAddress: string; port?: number }[];
    metadata?: Record<string, string>;
    forwardingRuleState?: string;
  };
}

function validate(rule: {
  domainName: string | undefined;
  targetDnsServers: { ipAddress: string; port?: number }[] | undefined;
  metadata: Record<string, string>;
  forwardingRuleState: string;
}): string | undefined {
  if (typeof rule.domainName !== 'string' || !rule.domainName.endsWith('.')) {
    return 'domainName must be a fully qualified domain name ending in a dot.';
  }
  const targets = rule.targetDnsServers;
  if (!Array.isArray(targets) || targets.length < 1 || targets.length > 6) {
    return 'targetDnsServers must hold 1 to 6 target DNS servers.';
  }
  for (const target of targets) {
    if (!IPV4.test(target.ipAddress ?? ''))
      return `targetDnsServers: ${target.ipAddress} is not an IPv4 address.`;
    const port = target.port ?? 53;
    if (!Number.isInteger(port) || port < 1 || port > 65535)
      return `targetDnsServers: port ${port} is not valid.`;
  }
  if (rule.forwardingRuleState !== 'Enabled' && rule.forwardingRuleState !== 'Disabled') {
    return `forwardingRuleState must be Enabled or Disabled: ${rule.forwardingRuleState}.`;
  }
  if (Object.values(rule.metadata).some((value) => typeof value !== 'string')) {
    return 'metadata values must be strings.';
  }
  return undefined;
}

function toArm(rulesetId: string, rule: FakeRule) {
  return {
    id: `${rulesetId}/forwardingRules/${rule.name}`,
    name: rule.name,
    type: 'Microsoft.Network/dnsForwardingRulesets/forwardingRules',
    etag: rule.etag,
    properties: {
      domainName: rule.domainName,
      targetDnsServers: rule.targetDnsServers,
      metadata: rule.metadata,
      forwardingRuleState: rule.forwardingRuleState,
      provisioningState: 'Succeeded',
    },
  };
}

function newEtag(): string {
  return `"${randomUUID()}"`;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
