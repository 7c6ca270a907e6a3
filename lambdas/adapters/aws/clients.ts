import { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EC2Client } from '@aws-sdk/client-ec2';
import { EKSClient } from '@aws-sdk/client-eks';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { Route53Client } from '@aws-sdk/client-route-53';
import { Route53ResolverClient } from '@aws-sdk/client-route53resolver';
import { S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SNSClient } from '@aws-sdk/client-sns';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DRPILOT_VERSION } from './version';

/*
 * The one place AWS SDK clients are made. Endpoints are left to the SDK: this SDK version reads
 * AWS_ENDPOINT_URL_<SERVICE ID> and then AWS_ENDPOINT_URL itself (@smithy/core/endpoints,
 * getEndpointUrlConfig), so pointing everything at an emulator needs only the environment.
 *
 * Import the per-service functions (s3Client, ec2Client, …) in Lambda code: each pulls in only
 * its own SDK package when esbuild tree-shakes the bundle.
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
const documentClients = new Map<string, DynamoDBDocumentClient>();

/**
 * The cached client of one service in one region. `extra` is service-specific config applied
 * only when the client is first made; S3 needs one, so use {@link s3Client} for S3.
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

export const ec2Client = (region: string) => clientFor(EC2Client, region);
/** Route 53 is global; its API is signed for us-east-1 whatever region is given. */
export const route53Client = (region = 'us-east-1') => clientFor(Route53Client, region);
export const cloudWatchClient = (region: string) => clientFor(CloudWatchClient, region);
export const dynamoDbClient = (region: string) => clientFor(DynamoDBClient, region);
export const snsClient = (region: string) => clientFor(SNSClient, region);
export const secretsManagerClient = (region: string) => clientFor(SecretsManagerClient, region);
export const lambdaClient = (region: string) => clientFor(LambdaClient, region);
export const autoScalingClient = (region: string) => clientFor(AutoScalingClient, region);
export const eksClient = (region: string) => clientFor(EKSClient, region);
export const sfnClient = (region: string) => clientFor(SFNClient, region);
/**
 * Route 53 Resolver is regional (each side's inbound endpoint lives in its cluster's region). Its
 * package is pinned to an older release than the other clients (the newest one the registry
 * serves); it reads AWS_ENDPOINT_URL_ROUTE53RESOLVER and AWS_ENDPOINT_URL the same way.
 */
export const route53ResolverClient = (region: string) => clientFor(Route53ResolverClient, region);

/** Emulators serve buckets under their own host name, not `<bucket>.<host>`: path-style there. */
export const s3Client = (region: string) =>
  clientFor(S3Client, region, { forcePathStyle: endpointOverride('S3') !== undefined });

export function dynamoDbDocumentClient(region: string): DynamoDBDocumentClient {
  let client = documentClients.get(region);
  if (!client) {
    client = DynamoDBDocumentClient.from(dynamoDbClient(region), {
      marshallOptions: { removeUndefinedValues: true },
    });
    documentClients.set(region, client);
  }
  return client;
}

export interface AwsClients {
  readonly ec2: EC2Client;
  readonly route53: Route53Client;
  readonly cloudWatch: CloudWatchClient;
  readonly s3: S3Client;
  readonly dynamoDb: DynamoDBClient;
  readonly dynamoDbDocument: DynamoDBDocumentClient;
  readonly sns: SNSClient;
  readonly secretsManager: SecretsManagerClient;
  readonly lambda: LambdaClient;
}

/** Every client of one region, each made on first use. Bundles all SDK packages: not for Lambdas. */
export function awsClients(region: string): AwsClients {
  return {
    get ec2() {
      return ec2Client(region);
    },
    get route53() {
      return route53Client();
    },
    get cloudWatch() {
      return cloudWatchClient(region);
    },
    get s3() {
      return s3Client(region);
    },
    get dynamoDb() {
      return dynamoDbClient(region);
    },
    get dynamoDbDocument() {
      return dynamoDbDocumentClient(region);
    },
    get sns() {
      return snsClient(region);
    },
    get secretsManager() {
      return secretsManagerClient(region);
    },
    get lambda() {
      return lambdaClient(region);
    },
  };
}

/** Drops (and closes) every cached client, so the next ones see the current environment. */
export function clearAwsClientCache(): void {
  for (const byRegion of cache.values()) {
    for (const client of byRegion.values()) (client as Destroyable).destroy();
  }
  cache.clear();
  documentClients.clear();
}
