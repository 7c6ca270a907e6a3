import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { MiddlewareStack } from '@smithy/types';
import {
  DescribeAlarmsCommand,
  GetMetricDataCommand,
  PutMetricAlarmCommand,
  PutMetricDataCommand,
  SetAlarmStateCommand,
} from '@aws-sdk/client-cloudwatch';
import {
  ConditionalCheckFailedException,
  CreateTableCommand,
  ListTablesCommand,
  PutItemCommand,
} from '@aws-sdk/client-dynamodb';
import {
  DescribeImagesCommand,
  DescribeInstancesCommand,
  ModifyInstanceAttributeCommand,
  RunInstancesCommand,
  StartInstancesCommand,
  StopInstancesCommand,
  type Instance,
} from '@aws-sdk/client-ec2';
import {
  ChangeResourceRecordSetsCommand,
  CreateHostedZoneCommand,
  GetChangeCommand,
  ListHostedZonesCommand,
  ListResourceRecordSetsCommand,
  type Change,
  type ResourceRecordSet,
} from '@aws-sdk/client-route-53';
import {
  CreateBucketCommand,
  GetBucketLocationCommand,
  GetObjectCommand,
  ListBucketsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  paginateListObjectsV2,
} from '@aws-sdk/client-s3';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { startMotoServer } from '../../cli/emulator/moto-server';
import {
  DEFAULT_MAX_ATTEMPTS,
  USER_AGENT,
  awsClients,
  clearAwsClientCache,
  cloudWatchClient,
  dynamoDbClient,
  dynamoDbDocumentClient,
  ec2Client,
  endpointOverride,
  route53Client,
  s3Client,
} from '../../lambdas/adapters/aws/clients';
import { DRPILOT_VERSION } from '../../lambdas/adapters/aws/version';
import { useMoto } from '../support/moto';

interface SentRequest {
  protocol: string;
  hostname: string;
  port?: number;
  path: string;
  headers: Record<string, string>;
}

class RequestCaptured extends Error {
  constructor(readonly request: SentRequest) {
    super('request captured, not sent');
  }
}

/** Calls `seen` with each HTTP request the command is about to send (after signing). */
function observe<C extends { middlewareStack: unknown }>(
  command: C,
  seen: (request: SentRequest) => void,
): C {
  (command.middlewareStack as MiddlewareStack<object, object>).add(
    (next) => async (args) => {
      seen(args.request as SentRequest);
      return next(args);
    },
    { step: 'finalizeRequest', priority: 'low', name: 'observeRequest' },
  );
  return command;
}

/** The request a command would send, without sending it. */
async function requestOf(
  client: { send(...args: never[]): unknown },
  command: { middlewareStack: unknown },
): Promise<SentRequest> {
  observe(command, (request) => {
    throw new RequestCaptured(request);
  });
  const send = client.send as (command: unknown) => Promise<unknown>;
  const outcome = await send.call(client, command).catch((error: unknown) => error);
  if (!(outcome instanceof RequestCaptured))
    throw new Error(`request was not captured: ${outcome}`);
  return outcome.request;
}

function present<T>(value: T | undefined): T {
  if (value === undefined) throw new Error('expected a value in the response');
  return value;
}

const urlOf = (request: SentRequest) =>
  `${request.protocol}//${request.hostname}${request.port ? `:${request.port}` : ''}${request.path}`;

function stubAwsEnv(endpoints: Record<string, string | undefined>) {
  vi.stubEnv('AWS_ACCESS_KEY_ID', 'testing');
  vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'testing');
  vi.stubEnv('AWS_SESSION_TOKEN', undefined);
  vi.stubEnv('AWS_IGNORE_CONFIGURED_ENDPOINT_URLS', undefined);
  for (const name of ['AWS_ENDPOINT_URL', 'AWS_ENDPOINT_URL_S3', 'AWS_ENDPOINT_URL_EC2']) {
    vi.stubEnv(name, endpoints[name]);
  }
  clearAwsClientCache();
}

describe('client factory (requests captured, nothing sent)', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
    clearAwsClientCache();
  });

  it('has a version that equals package.json', () => {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
    expect(DRPILOT_VERSION).toBe(pkg.version);
    expect(USER_AGENT).toBe(`drpilot/${pkg.version}`);
  });

  it('uses path-style S3 addressing when AWS_ENDPOINT_URL is set', async () => {
    stubAwsEnv({ AWS_ENDPOINT_URL: 'http://localhost:4566' });
    const request = await requestOf(
      s3Client('eu-west-1'),
      new ListObjectsV2Command({ Bucket: 'acme-velero' }),
    );
    expect(await s3Client('eu-west-1').config.forcePathStyle).toBe(true);
    expect(urlOf(request)).toMatch(/^http:\/\/localhost:4566\/acme-velero\/?$/);
  });

  it('uses virtual-hosted S3 addressing on AWS itself', async () => {
    stubAwsEnv({});
    const request = await requestOf(
      s3Client('eu-west-1'),
      new ListObjectsV2Command({ Bucket: 'acme-velero' }),
    );
    expect(urlOf(request)).toMatch(/^https:\/\/acme-velero\.s3\.eu-west-1\.amazonaws\.com\/?$/);
  });

  it('honours AWS_ENDPOINT_URL_S3 for S3 only, with path-style addressing', async () => {
    stubAwsEnv({ AWS_ENDPOINT_URL_S3: 'http://localhost:9000' });
    const s3Request = await requestOf(
      s3Client('eu-central-1'),
      new ListObjectsV2Command({ Bucket: 'acme-velero' }),
    );
    const ec2Request = await requestOf(ec2Client('eu-central-1'), new DescribeInstancesCommand({}));
    expect(urlOf(s3Request)).toMatch(/^http:\/\/localhost:9000\/acme-velero\/?$/);
    expect(ec2Request.hostname).toBe('ec2.eu-central-1.amazonaws.com');
  });

  it('lets a per-service endpoint win over AWS_ENDPOINT_URL', async () => {
    stubAwsEnv({
      AWS_ENDPOINT_URL: 'http://localhost:4566',
      AWS_ENDPOINT_URL_EC2: 'http://ec2.test:1',
    });
    const ec2Request = await requestOf(ec2Client('eu-west-1'), new DescribeInstancesCommand({}));
    const s3Request = await requestOf(s3Client('eu-west-1'), new ListBucketsCommand({}));
    expect(ec2Request.hostname).toBe('ec2.test');
    expect(s3Request.hostname).toBe('localhost');
  });

  it('names per-service variables the way the SDK does (service id upper-cased, spaces as _)', () => {
    const env = { AWS_ENDPOINT_URL: 'http://all', AWS_ENDPOINT_URL_ROUTE_53: 'http://r53' };
    expect(endpointOverride('Route 53', env)).toBe('http://r53');
    expect(endpointOverride('S3', env)).toBe('http://all');
    expect(endpointOverride('S3', {})).toBeUndefined();
    expect(endpointOverride('S3', { ...env, AWS_IGNORE_CONFIGURED_ENDPOINT_URLS: 'true' })).toBe(
      undefined,
    );
  });

  it('signs Route 53 for us-east-1 and sends drpilot in the user agent', async () => {
    stubAwsEnv({});
    const request = await requestOf(route53Client(), new ListHostedZonesCommand({}));
    expect(request.hostname).toBe('route53.amazonaws.com');
    expect(request.headers['authorization']).toContain('/us-east-1/route53/aws4_request');
    expect(request.headers['user-agent']).toContain(USER_AGENT);
  });

  it('caches one client per service and region, and forgets them on clear', () => {
    stubAwsEnv({});
    const first = ec2Client('eu-west-1');
    expect(ec2Client('eu-west-1')).toBe(first);
    expect(ec2Client('eu-central-1')).not.toBe(first);
    expect(awsClients('eu-west-1').ec2).toBe(first);
    expect(dynamoDbDocumentClient('eu-west-1')).toBe(dynamoDbDocumentClient('eu-west-1'));
    clearAwsClientCache();
    expect(ec2Client('eu-west-1')).not.toBe(first);
  });

  it('retries adaptively, AWS_MAX_ATTEMPTS permitting', async () => {
    stubAwsEnv({});
    const config = cloudWatchClient('eu-west-1').config;
    const strategy = await config.retryStrategy();
    expect((strategy as { mode?: string }).mode).toBe('adaptive');
    expect(await config.maxAttempts()).toBe(DEFAULT_MAX_ATTEMPTS);
    expect(await config.region()).toBe('eu-west-1');
    vi.stubEnv('AWS_MAX_ATTEMPTS', '2');
    clearAwsClientCache();
    expect(await cloudWatchClient('eu-west-1').config.maxAttempts()).toBe(2);
  });
});

describe('against moto', () => {
  const moto = useMoto();

  describe('EC2', () => {
    const ec2 = () => ec2Client('eu-west-1');
    const groupFilter = [{ Name: 'tag:drpilot:group', Values: ['primary-workers'] }];
    const describeGroup = async (): Promise<Instance[]> => {
      const result = await ec2().send(new DescribeInstancesCommand({ Filters: groupFilter }));
      return (result.Reservations ?? []).flatMap((reservation) => reservation.Instances ?? []);
    };

    it('runs tagged instances, finds them by tag, and resizes one while stopped', async () => {
      const images = await ec2().send(new DescribeImagesCommand({ Owners: ['amazon'] }));
      const imageId = images.Images?.[0]?.ImageId;
      expect(imageId).toMatch(/^ami-/);
      await ec2().send(
        new RunInstancesCommand({
          ImageId: imageId,
          InstanceType: 'm6i.large',
          MinCount: 2,
          MaxCount: 2,
          TagSpecifications: [
            {
              ResourceType: 'instance',
              Tags: [{ Key: 'drpilot:group', Value: 'primary-workers' }],
            },
          ],
        }),
      );
      await ec2().send(
        new RunInstancesCommand({
          ImageId: imageId,
          InstanceType: 't3.micro',
          MinCount: 1,
          MaxCount: 1,
        }),
      );

      const group = await describeGroup();
      expect(group).toHaveLength(2);
      expect(group.map((instance) => instance.InstanceType)).toEqual(['m6i.large', 'm6i.large']);
      const target = present(group[0]?.InstanceId);

      await ec2().send(new StopInstancesCommand({ InstanceIds: [target] }));
      const stopped = (await describeGroup()).find((instance) => instance.InstanceId === target);
      expect(stopped?.State?.Name).toBe('stopped');

      await ec2().send(
        new ModifyInstanceAttributeCommand({
          InstanceId: target,
          InstanceType: { Value: 'm6i.xlarge' },
        }),
      );
      await ec2().send(new StartInstancesCommand({ InstanceIds: [target] }));

      const after = await describeGroup();
      const resized = after.find((instance) => instance.InstanceId === target);
      expect(resized?.InstanceType).toBe('m6i.xlarge');
      expect(resized?.State?.Name).toBe('running');
      expect(after.filter((instance) => instance.InstanceId !== target)[0]?.InstanceType).toBe(
        'm6i.large',
      );
    });
  });

  describe('Route 53', () => {
    const cname = (name: string, target: string): ResourceRecordSet => ({
      Name: name,
      Type: 'CNAME',
      TTL: 30,
      ResourceRecords: [{ Value: target }],
    });

    async function createZone(): Promise<string> {
      const zone = await route53Client().send(
        new CreateHostedZoneCommand({ Name: 'example.com', CallerReference: `test-${Date.now()}` }),
      );
      return present(zone.HostedZone?.Id);
    }

    it('swaps a CNAME with one DELETE+CREATE batch and reports the change INSYNC', async () => {
      const zoneId = await createZone();
      const primary = cname('main.example.com', 'primary.example.com');
      await route53Client().send(
        new ChangeResourceRecordSetsCommand({
          HostedZoneId: zoneId,
          ChangeBatch: { Changes: [{ Action: 'CREATE', ResourceRecordSet: primary }] },
        }),
      );

      const swap = await route53Client().send(
        new ChangeResourceRecordSetsCommand({
          HostedZoneId: zoneId,
          ChangeBatch: {
            Comment: 'drpilot failover',
            Changes: [
              { Action: 'DELETE', ResourceRecordSet: primary },
              { Action: 'CREATE', ResourceRecordSet: cname('main.example.com', 'dr.example.com') },
            ],
          },
        }),
      );
      const change = await route53Client().send(new GetChangeCommand({ Id: swap.ChangeInfo?.Id }));
      expect(change.ChangeInfo?.Status).toBe('INSYNC');

      const records = await route53Client().send(
        new ListResourceRecordSetsCommand({
          HostedZoneId: zoneId,
          StartRecordName: 'main.example.com',
        }),
      );
      const main = records.ResourceRecordSets?.filter((r) => r.Name === 'main.example.com.');
      expect(main).toEqual([
        expect.objectContaining({
          Type: 'CNAME',
          TTL: 30,
          ResourceRecords: [{ Value: 'dr.example.com' }],
        }),
      ]);
    });

    const change = (zoneId: string, changes: Change[]) =>
      route53Client().send(
        new ChangeResourceRecordSetsCommand({
          HostedZoneId: zoneId,
          ChangeBatch: { Changes: changes },
        }),
      );
    const mainTargets = async (zoneId: string) => {
      const records = await route53Client().send(
        new ListResourceRecordSetsCommand({ HostedZoneId: zoneId }),
      );
      return (records.ResourceRecordSets ?? [])
        .filter((record) => record.Name === 'main.example.com.' && record.Type === 'CNAME')
        .map((record) => record.ResourceRecords?.[0]?.Value);
    };

    it('rejects the whole swap when its DELETE no longer matches the record', async () => {
      const zoneId = await createZone();
      await change(zoneId, [
        { Action: 'CREATE', ResourceRecordSet: cname('main.example.com', 'dr.example.com') },
      ]);
      const staleSwap = change(zoneId, [
        { Action: 'DELETE', ResourceRecordSet: cname('main.example.com', 'primary.example.com') },
        { Action: 'CREATE', ResourceRecordSet: cname('main.example.com', 'elsewhere.example.com') },
      ]);
      // AWS answers InvalidChangeBatch; moto 5.2.5 answers InvalidInput with an unrelated message.
      await expect(staleSwap).rejects.toMatchObject({
        name: expect.stringMatching(/^(InvalidChangeBatch|InvalidInput)$/),
      });
      expect(await mainTargets(zoneId)).toEqual(['dr.example.com']);
    });

    it('moto gap: a CREATE of an existing name adds a duplicate (AWS rejects it)', async () => {
      const zoneId = await createZone();
      const create = (target: string) =>
        change(zoneId, [
          { Action: 'CREATE', ResourceRecordSet: cname('main.example.com', target) },
        ]);
      await create('primary.example.com');
      await create('dr.example.com');
      // When this starts failing, moto has learned AWS's InvalidChangeBatch here: drop the test.
      expect(await mainTargets(zoneId)).toEqual(['primary.example.com', 'dr.example.com']);
    });
  });

  describe('CloudWatch', () => {
    const cloudWatch = () => cloudWatchClient('eu-west-1');

    it('stores an alarm, lets its state be set, and describes it', async () => {
      await cloudWatch().send(
        new PutMetricAlarmCommand({
          AlarmName: 'acme-primary-health',
          Namespace: 'AWS/Route53',
          MetricName: 'HealthCheckStatus',
          Dimensions: [{ Name: 'HealthCheckId', Value: 'hc-1' }],
          Statistic: 'Minimum',
          Period: 60,
          EvaluationPeriods: 1,
          Threshold: 1,
          ComparisonOperator: 'LessThanThreshold',
        }),
      );
      await cloudWatch().send(
        new SetAlarmStateCommand({
          AlarmName: 'acme-primary-health',
          StateValue: 'ALARM',
          StateReason: 'drill',
        }),
      );
      const alarms = await cloudWatch().send(
        new DescribeAlarmsCommand({ AlarmNames: ['acme-primary-health'] }),
      );
      expect(alarms.MetricAlarms).toHaveLength(1);
      expect(alarms.MetricAlarms?.[0]).toMatchObject({
        StateValue: 'ALARM',
        StateReason: 'drill',
        Threshold: 1,
        ComparisonOperator: 'LessThanThreshold',
      });
    });

    it('returns put metric data through GetMetricData', async () => {
      const now = Date.now();
      const dimensions = [{ Name: 'NodeGroup', Value: 'primary-workers' }];
      await cloudWatch().send(
        new PutMetricDataCommand({
          Namespace: 'drpilot/test',
          MetricData: [40, 80, 60].map((value, index) => ({
            MetricName: 'CPUUtilization',
            Dimensions: dimensions,
            Unit: 'Percent',
            Value: value,
            Timestamp: new Date(now - (index + 1) * 1_000),
          })),
        }),
      );
      const result = await cloudWatch().send(
        new GetMetricDataCommand({
          StartTime: new Date(now - 3_600_000),
          EndTime: new Date(now + 60_000),
          MetricDataQueries: [
            {
              Id: 'cpu',
              MetricStat: {
                Metric: {
                  Namespace: 'drpilot/test',
                  MetricName: 'CPUUtilization',
                  Dimensions: dimensions,
                },
                Period: 3_600,
                Stat: 'Maximum',
              },
            },
          ],
        }),
      );
      const values = result.MetricDataResults?.find((series) => series.Id === 'cpu')?.Values ?? [];
      expect(Math.max(...values)).toBe(80);
    });
  });

  describe('S3', () => {
    it('keeps buckets in two regions and pages through a path-style listing', async () => {
      const urls: string[] = [];
      const record = <C extends { middlewareStack: unknown }>(command: C) =>
        observe(command, (request) => urls.push(urlOf(request)));
      const buckets = {
        'eu-west-1': 'acme.velero.eu-west-1',
        'eu-central-1': 'acme.velero.eu-central-1',
      };

      for (const [region, bucket] of Object.entries(buckets)) {
        await s3Client(region).send(
          record(
            new CreateBucketCommand({
              Bucket: bucket,
              CreateBucketConfiguration: { LocationConstraint: region as 'eu-west-1' },
            }),
          ),
        );
        const location = await s3Client(region).send(
          new GetBucketLocationCommand({ Bucket: bucket }),
        );
        expect(location.LocationConstraint).toBe(region);
      }

      const source = s3Client('eu-west-1');
      const bucket = buckets['eu-west-1'];
      const keys = [
        'backups/a/velero-backup.json',
        'backups/b/velero-backup.json',
        'backups/c/x',
        'backups/d/y',
        'kopia/p1',
      ];
      for (const key of keys) {
        await source.send(
          record(new PutObjectCommand({ Bucket: bucket, Key: key, Body: `body of ${key}` })),
        );
      }

      const pages: string[][] = [];
      for await (const page of paginateListObjectsV2(
        { client: source, pageSize: 2 },
        { Bucket: bucket },
      )) {
        pages.push((page.Contents ?? []).map((object) => present(object.Key)));
      }
      expect(pages).toEqual([keys.slice(0, 2), keys.slice(2, 4), keys.slice(4)]);

      const object = await source.send(
        record(new GetObjectCommand({ Bucket: bucket, Key: keys[0] })),
      );
      expect(await object.Body?.transformToString()).toBe(`body of ${keys[0]}`);

      const other = await s3Client('eu-central-1').send(
        new ListObjectsV2Command({ Bucket: buckets['eu-central-1'] }),
      );
      expect(other.KeyCount).toBe(0);

      expect(urls.length).toBeGreaterThan(0);
      for (const url of urls) {
        expect(url).toMatch(
          new RegExp(`^${moto.endpoint}/acme\\.velero\\.eu-(west|central)-1(/|\\?|$)`),
        );
      }
    });

    it('reaches moto by host name through AWS_ENDPOINT_URL_S3 (virtual-hosted would not resolve)', async () => {
      vi.stubEnv('AWS_ENDPOINT_URL_S3', moto.endpoint.replace('127.0.0.1', 'localhost'));
      clearAwsClientCache();
      try {
        const urls: string[] = [];
        await s3Client('us-east-1').send(
          observe(new CreateBucketCommand({ Bucket: 'drill-bucket' }), (request) =>
            urls.push(urlOf(request)),
          ),
        );
        const listing = await s3Client('us-east-1').send(new ListBucketsCommand({}));
        expect(listing.Buckets?.map((bucket) => bucket.Name)).toEqual(['drill-bucket']);
        expect(urls).toEqual([`${moto.endpoint.replace('127.0.0.1', 'localhost')}/drill-bucket/`]);
      } finally {
        vi.unstubAllEnvs();
        clearAwsClientCache();
      }
    });
  });

  describe('DynamoDB', () => {
    const createTable = () =>
      dynamoDbClient('us-east-1').send(
        new CreateTableCommand({
          TableName: 'acme-drpilot-state',
          BillingMode: 'PAY_PER_REQUEST',
          AttributeDefinitions: [
            { AttributeName: 'pk', AttributeType: 'S' },
            { AttributeName: 'sk', AttributeType: 'S' },
          ],
          KeySchema: [
            { AttributeName: 'pk', KeyType: 'HASH' },
            { AttributeName: 'sk', KeyType: 'RANGE' },
          ],
        }),
      );

    it('refuses the second conditional put of the same key', async () => {
      await createTable();
      const putLease = (holder: string) =>
        dynamoDbClient('us-east-1').send(
          new PutItemCommand({
            TableName: 'acme-drpilot-state',
            Item: { pk: { S: 'lease#dns' }, sk: { S: 'lease' }, holder: { S: holder } },
            ConditionExpression: 'attribute_not_exists(pk)',
          }),
        );
      await putLease('first');
      await expect(putLease('second')).rejects.toBeInstanceOf(ConditionalCheckFailedException);
    });

    it('round-trips items through the document client, undefined attributes dropped', async () => {
      await createTable();
      const documents = dynamoDbDocumentClient('us-east-1');
      await documents.send(
        new PutCommand({
          TableName: 'acme-drpilot-state',
          Item: { pk: 'cooldown#dns', sk: 'cooldown', untilMs: 123, reason: undefined },
        }),
      );
      const read = await documents.send(
        new GetCommand({
          TableName: 'acme-drpilot-state',
          Key: { pk: 'cooldown#dns', sk: 'cooldown' },
        }),
      );
      expect(read.Item).toEqual({ pk: 'cooldown#dns', sk: 'cooldown', untilMs: 123 });
    });
  });

  describe('reset', () => {
    const snapshot = async () => {
      const clients = awsClients('us-east-1');
      const [buckets, tables, zones, instances] = await Promise.all([
        clients.s3.send(new ListBucketsCommand({})),
        clients.dynamoDb.send(new ListTablesCommand({})),
        clients.route53.send(new ListHostedZonesCommand({})),
        clients.ec2.send(new DescribeInstancesCommand({})),
      ]);
      return {
        buckets: buckets.Buckets?.length ?? 0,
        tables: tables.TableNames?.length ?? 0,
        zones: zones.HostedZones?.length ?? 0,
        reservations: instances.Reservations?.length ?? 0,
      };
    };
    const empty = { buckets: 0, tables: 0, zones: 0, reservations: 0 };

    it('leaves state behind for the next test to look for', async () => {
      const clients = awsClients('us-east-1');
      await clients.s3.send(new CreateBucketCommand({ Bucket: 'left-behind' }));
      await clients.dynamoDb.send(
        new CreateTableCommand({
          TableName: 'left-behind',
          BillingMode: 'PAY_PER_REQUEST',
          AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
          KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        }),
      );
      await clients.route53.send(
        new CreateHostedZoneCommand({ Name: 'left.example.com', CallerReference: 'left-behind' }),
      );
      const images = await clients.ec2.send(new DescribeImagesCommand({ Owners: ['amazon'] }));
      await clients.ec2.send(
        new RunInstancesCommand({ ImageId: images.Images?.[0]?.ImageId, MinCount: 1, MaxCount: 1 }),
      );
      expect(await snapshot()).toEqual({ buckets: 1, tables: 1, zones: 1, reservations: 1 });
    });

    it('starts the next test from an empty moto', async () => {
      expect(await snapshot()).toEqual(empty);
    });

    it('empties moto on demand', async () => {
      await awsClients('us-east-1').s3.send(new CreateBucketCommand({ Bucket: 'short-lived' }));
      await moto.reset();
      expect(await snapshot()).toEqual(empty);
    });
  });

  it('sends drpilot/<version> in the user agent moto receives', async () => {
    const headers: Record<string, string>[] = [];
    await ec2Client('us-east-1').send(
      observe(new DescribeInstancesCommand({}), (request) => headers.push(request.headers)),
    );
    expect(headers).toHaveLength(1);
    expect(headers[0]?.['user-agent']).toContain(`drpilot/${DRPILOT_VERSION}`);
    expect(headers[0]?.['x-amz-user-agent']).toContain(`drpilot/${DRPILOT_VERSION}`);
  });
});

describe('moto server', () => {
  it('passes extra environment to moto and is gone after stop', async () => {
    const server = await startMotoServer({ env: { MOTO_S3_DEFAULT_MAX_KEYS: '2' } });
    try {
      vi.stubEnv('AWS_ENDPOINT_URL', server.endpoint);
      vi.stubEnv('AWS_ACCESS_KEY_ID', 'testing');
      vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'testing');
      clearAwsClientCache();
      const s3 = s3Client('us-east-1');
      await s3.send(new CreateBucketCommand({ Bucket: 'many' }));
      for (const key of ['a', 'b', 'c']) {
        await s3.send(new PutObjectCommand({ Bucket: 'many', Key: key, Body: key }));
      }
      const listing = await s3.send(new ListObjectsV2Command({ Bucket: 'many' }));
      expect(listing.KeyCount).toBe(2);
      expect(listing.IsTruncated).toBe(true);
    } finally {
      vi.unstubAllEnvs();
      clearAwsClientCache();
      await server.stop();
    }
    await expect(fetch(`${server.endpoint}/moto-api/config`)).rejects.toThrow();
    await server.stop();
  });

  it('reports the stderr tail when moto dies on startup', async () => {
    const fakePackages = mkdtempSync(join(tmpdir(), 'drpilot-broken-moto-'));
    mkdirSync(join(fakePackages, 'moto'));
    writeFileSync(
      join(fakePackages, 'moto', '__init__.py'),
      'raise RuntimeError("broken on purpose")\n',
    );
    try {
      await expect(startMotoServer({ env: { PYTHONPATH: fakePackages } })).rejects.toThrow(
        /exited during startup[\s\S]*broken on purpose/,
      );
    } finally {
      rmSync(fakePackages, { recursive: true, force: true });
    }
  });
});
