import { DRPILOT_VERSION } from '../version';

/*
 * What every AWS SDK client drpilot makes shares: its config and one cache per service and
 * region. Endpoints are left to the SDK: this SDK version reads AWS_ENDPOINT_URL_<SERVICE ID> and
 * then AWS_ENDPOINT_URL itself (@smithy/core/endpoints, getEndpointUrlConfig), so pointing
 * everything at an emulator needs only the environment.
 *
 * Each service's client is made in a module of its own (./ec2, ./s3, …) that imports only its
 * SDK package: code that never sends a service's commands never loads that package, in a Lambda
 * bundle or in a chunk of the CLI bundle (scripts/build-cli.ts splits at each `import()`, and a
 * chunk takes a module whole).
 */

export const USER_AGENT = `drpilot/${DRPILOT_VERSION}`;
export const DEFAULT_MAX_ATTEMPTS = 5;

export interface AwsClientConfig {
  region: string;
  retryMode: 'adaptive';
  maxAttempts: number;
  customUserAgent: string;
}

/** Any AWS SDK v3 client class, e.g. `EC2Client`. */
export type AwsClientClass<Client, Extra extends object = object> = new (
  config: AwsClientConfig & Extra,
) => Client;

interface Destroyable {
  destroy(): void;
}

const cache = new Map<AwsClientClass<unknown>, Map<string, unknown>>();
/** Clients made from another cached client (DynamoDB's document client): dropped, not closed. */
const derived = new Map<string, Map<string, unknown>>();

/**
 * The cached client of one service in one region. `extra` is service-specific config applied
 * only when the client is first made; S3 needs one, so use `s3Client` (./s3) for S3.
 */
export function clientFor<Client extends Destroyable, Extra extends object = object>(
  Ctor: AwsClientClass<Client, Extra>,
  region: string,
  extra?: Extra,
): Client {
  let byRegion = cache.get(Ctor as AwsClientClass<unknown>);
  if (!byRegion) {
    byRegion = new Map();
    cache.set(Ctor as AwsClientClass<unknown>, byRegion);
  }
  let client = byRegion.get(region) as Client | undefined;
  if (!client) {
    client = new Ctor({ ...awsClientConfig(region), ...(extra as Extra) });
    byRegion.set(region, client);
  }
  return client;
}

/**
 * The cached `kind` of client for `region`, made by `make` on first use. For a client that wraps
 * a cached one and shares its connections, so {@link clearAwsClientCache} closes only the inner one.
 */
export function derivedClientFor<Client>(kind: string, region: string, make: () => Client): Client {
  let byRegion = derived.get(kind);
  if (!byRegion) {
    byRegion = new Map();
    derived.set(kind, byRegion);
  }
  let client = byRegion.get(region) as Client | undefined;
  if (!client) {
    client = make();
    byRegion.set(region, client);
  }
  return client;
}

export function awsClientConfig(region: string, env = process.env): AwsClientConfig {
  return {
    region,
    retryMode: 'adaptive',
    // Explicit config beats the environment in the SDK, so honour AWS_MAX_ATTEMPTS here.
    maxAttempts: Number(env.AWS_MAX_ATTEMPTS) || DEFAULT_MAX_ATTEMPTS,
    customUserAgent: USER_AGENT,
  };
}

/**
 * The endpoint the SDK will use instead of AWS's for a service, by the SDK's own rule:
 * `AWS_ENDPOINT_URL_<SERVICE ID>` (upper case, spaces as `_`), then `AWS_ENDPOINT_URL`.
 */
export function endpointOverride(serviceId: string, env = process.env): string | undefined {
  if (env.AWS_IGNORE_CONFIGURED_ENDPOINT_URLS?.toLowerCase() === 'true') return undefined;
  const perService = `AWS_ENDPOINT_URL_${serviceId.toUpperCase().split(' ').join('_')}`;
  return env[perService] || env.AWS_ENDPOINT_URL || undefined;
}

/** Drops (and closes) every cached client, so the next ones see the current environment. */
export function clearAwsClientCache(): void {
  for (const byRegion of cache.values()) {
    for (const client of byRegion.values()) (client as Destroyable).destroy();
  }
  cache.clear();
  derived.clear();
}
