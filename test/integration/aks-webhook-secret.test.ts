import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  CreateSecretCommand,
  GetSecretValueCommand,
  ListSecretsCommand,
} from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clearAwsClientCache, secretsManagerClient } from '../../lambdas/adapters/aws/clients';
import { handler } from '../../lambdas/aks/webhook-secret-resource';
import { useMoto } from '../support/moto';

useMoto();

const NAME = 'acme/drpilot/azure-webhook';
let server: Server;
let url: string;
const responses: Record<string, any>[] = [];

beforeAll(async () => {
  // CloudFormation's pre-signed ResponseURL, played by a local server that records each PUT.
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      responses.push({ method: req.method, ...JSON.parse(Buffer.concat(chunks).toString('utf8')) });
      res.writeHead(200);
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/response`;
});
afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

const request = (RequestType: 'Create' | 'Update' | 'Delete') => ({
  RequestType,
  ResponseURL: url,
  StackId: 'arn:aws:cloudformation:us-east-1:123456789012:stack/acme-drpilot-control/1',
  RequestId: `r-${RequestType}`,
  LogicalResourceId: 'AksEventsWebhookSecret',
  ResourceProperties: { ServiceToken: 'x', SecretName: NAME },
});
const context = { awsRequestId: 'test' } as never;
const value = async () =>
  (await secretsManagerClient('us-east-1').send(new GetSecretValueCommand({ SecretId: NAME })))
    .SecretString;

describe('the webhook secret custom resource (moto Secrets Manager)', () => {
  it('creates the secret with a generated value, keeps it on update, and leaves it on delete', async () => {
    responses.splice(0);
    await handler(request('Create') as never, context);
    const created = await value();
    expect(created).toMatch(/^[0-9a-f]{64}$/);
    await handler(request('Update') as never, context);
    expect(await value()).toBe(created);
    await handler(request('Delete') as never, context);
    expect(await value()).toBe(created);
    expect(
      responses.map((r) => [r.method, r.Status, r.PhysicalResourceId, r.Data?.Created]),
    ).toEqual([
      ['PUT', 'SUCCESS', NAME, 'true'],
      ['PUT', 'SUCCESS', NAME, 'false'],
      ['PUT', 'SUCCESS', NAME, undefined],
    ]);
  });

  it('never touches a secret that exists already (made by hand, or kept from an earlier stack)', async () => {
    responses.splice(0);
    await secretsManagerClient('us-east-1').send(
      new CreateSecretCommand({ Name: NAME, SecretString: 'the-value-in-key-vault-already' }),
    );
    await handler(request('Create') as never, context);
    expect(await value()).toBe('the-value-in-key-vault-already');
    expect(responses[0]).toMatchObject({ Status: 'SUCCESS', Data: { Created: 'false' } });
    const { SecretList = [] } = await secretsManagerClient('us-east-1').send(
      new ListSecretsCommand({}),
    );
    expect(SecretList.map((s) => s.Name)).toEqual([NAME]);
  });

  it('answers FAILED with the reason instead of leaving CloudFormation waiting', async () => {
    responses.splice(0);
    const bad = { ...request('Create'), ResourceProperties: { SecretName: NAME } };
    // Secrets Manager unreachable: nothing listens on port 9.
    process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER = 'http://127.0.0.1:9';
    clearAwsClientCache();
    try {
      await handler(bad as never, context);
    } finally {
      delete process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER;
      clearAwsClientCache();
    }
    expect(responses).toEqual([
      expect.objectContaining({ Status: 'FAILED', Reason: expect.stringMatching(/\S/) }),
    ]);
  });
});
