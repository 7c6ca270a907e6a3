import { execFile, execFileSync } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { validateConfig } from '../../lambdas/core/config/validate';
import { bundleLikeConstruct } from '../../bench/bundle-like-construct';
import { configDefine } from '../../lib/lambda-bundling';
import { useMoto } from '../support/moto';

useMoto();

const execFileAsync = promisify(execFile);

const REPO_ROOT = new URL('../..', import.meta.url).pathname;
// Under node_modules so the bundles resolve the repository's packages and stay out of git.
const cacheRoot = join(REPO_ROOT, 'node_modules', '.cache');
mkdirSync(cacheRoot, { recursive: true });
const workDir = mkdtempSync(join(cacheRoot, 'lambda-bundling-test-'));
afterAll(() => rmSync(workDir, { recursive: true, force: true }));

/** Bundles `source` with the options lib/reactive-function.ts gives NodejsFunction. */
async function bundle(
  name: string,
  source: string,
  define: Record<string, string> = {},
): Promise<{ file: string; inputs: string[] }> {
  const entry = join(workDir, `${name}.ts`);
  writeFileSync(entry, source);
  const outfile = join(workDir, `${name}.mjs`);
  const metafile = await bundleLikeConstruct(entry, outfile, define);
  // The modules with code in the output (a module tree-shaken away has 0 bytes there).
  const output = Object.values(metafile.outputs)[0]?.inputs ?? {};
  const inputs = Object.entries(output).filter(([, input]) => input.bytesInOutput > 0);
  return { file: outfile, inputs: inputs.map(([path]) => path) };
}

const resolverClient = join(REPO_ROOT, 'lambdas/adapters/aws/sdk-clients/route53-resolver.ts');
const powertools = join(REPO_ROOT, 'lambdas/shared/powertools.ts');

function exampleConfig(tracing: boolean) {
  const validated = validateConfig(
    JSON.parse(readFileSync(join(REPO_ROOT, 'drpilot.config.example.json'), 'utf8')),
  );
  if (!validated.ok) throw new Error('drpilot.config.example.json is invalid');
  return {
    ...validated.config,
    observability: { ...validated.config.observability, tracing },
  };
}

describe('Lambda bundling (lib/lambda-bundling.ts)', () => {
  const resolverScript = `import { ListResolverEndpointsCommand } from '@aws-sdk/client-route53resolver';
import { route53ResolverClient } from ${JSON.stringify(resolverClient)};
const out = await route53ResolverClient('eu-west-1').send(new ListResolverEndpointsCommand({}));
process.stdout.write(JSON.stringify(out.ResolverEndpoints));`;

  it("gives the pinned Route 53 Resolver client the Lambda credential chain, which signs its calls with the environment's credentials", async () => {
    const { file, inputs } = await bundle('resolver', resolverScript);
    expect(
      inputs.filter((p) => /client-route53resolver\/node_modules\/@aws-sdk\/credential/.test(p)),
    ).toEqual([]);
    expect(inputs.filter((p) => p.includes('/@aws-sdk/client-sts/'))).toEqual([]);
    expect(inputs).toContain('lambdas/adapters/aws/lambda-credential-chain.ts');
    // The links Lambda never answers (profiles, SSO, INI, process, web identity) stay out.
    expect(
      inputs.filter((p) =>
        /@aws-sdk\/(nested-clients|credential-provider-(node|ini|sso|process|web-identity|login))\//.test(
          p,
        ),
      ),
    ).toEqual([]);
    // The environment useMoto set (endpoint, static credentials) reaches the bundled client.
    const out = execFileSync(process.execPath, [file], { env: process.env }).toString();
    expect(JSON.parse(out)).toEqual([]);
  });

  it("gives the pinned Route 53 Resolver client the current SDK's HTTP handler and defaults mode, so no bundle imports `http` at load, and the client still reads moto's answers and errors", async () => {
    const { file, inputs } = await bundle(
      'resolver-runtime',
      `import { ListResolverEndpointsCommand, ListResolverEndpointIpAddressesCommand } from '@aws-sdk/client-route53resolver';
import { route53ResolverClient } from ${JSON.stringify(resolverClient)};
const client = route53ResolverClient('eu-west-1');
const listed = await client.send(new ListResolverEndpointsCommand({}));
const missing = await client
  .send(new ListResolverEndpointIpAddressesCommand({ ResolverEndpointId: 'rslvr-in-missing' }))
  .catch((error) => error.name);
process.stdout.write(JSON.stringify({ listed: listed.ResolverEndpoints, missing, mode: await client.config.defaultsMode() }));`,
    );
    expect(
      inputs.filter((p) =>
        /client-route53resolver\/node_modules\/@smithy\/(node-http-handler|credential-provider-imds)\/|@smithy\/util-defaults-mode-node\//.test(
          p,
        ),
      ),
    ).toEqual([]);
    expect(readFileSync(file, 'utf8')).not.toMatch(/\bfrom\s*["'](node:)?http["']/);
    const out = execFileSync(process.execPath, [file], {
      // Lambda's environment: "auto" then resolves without asking the instance metadata service.
      env: {
        ...process.env,
        AWS_DEFAULTS_MODE: 'auto',
        AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs24.x',
        AWS_REGION: 'eu-west-1',
      },
    }).toString();
    expect(JSON.parse(out)).toEqual({
      listed: [],
      missing: 'ResourceNotFoundException',
      mode: 'in-region',
    });
  });

  const ENV_CREDENTIALS = ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN'];
  const withoutEnvCredentials = () =>
    Object.fromEntries(
      Object.entries(process.env).filter(([name]) => !ENV_CREDENTIALS.includes(name)),
    );

  it('falls back to container credentials, as the default chain does, when the environment holds none', async () => {
    const { file } = await bundle('resolver-container', resolverScript);
    const requests: (string | undefined)[] = [];
    const server = createServer((request, response) => {
      requests.push(request.headers.authorization);
      response.setHeader('content-type', 'application/json');
      response.end(
        JSON.stringify({
          AccessKeyId: 'ASIACONTAINER',
          SecretAccessKey: 'container-secret',
          Token: 'container-token',
          Expiration: new Date(Date.now() + 3_600_000).toISOString(),
        }),
      );
    });
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    try {
      const { port } = server.address() as AddressInfo;
      const out = await execFileAsync(process.execPath, [file], {
        env: {
          ...withoutEnvCredentials(),
          AWS_CONTAINER_CREDENTIALS_FULL_URI: `http://127.0.0.1:${port}/credentials`,
          AWS_CONTAINER_AUTHORIZATION_TOKEN: 'container-auth',
        },
      });
      expect(JSON.parse(out.stdout)).toEqual([]);
      expect(requests).toEqual(['container-auth']);
    } finally {
      server.close();
    }
  });

  it('fails with an error that names the variables Lambda sets when neither source holds credentials', async () => {
    const { file } = await bundle('resolver-none', resolverScript);
    const failed = await execFileAsync(process.execPath, [file], {
      env: withoutEnvCredentials(),
    }).catch((error: { code: number; stderr: string }) => error);
    expect('code' in failed && failed.code).toBe(1);
    expect(failed.stderr).toContain(
      'a Lambda function gets AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN',
    );
  });

  it('bundles the tree-shakable SDK copies, which carry only the shapes used and still speak EC2 Query and S3 REST-XML to moto', async () => {
    const { file, inputs } = await bundle(
      'shakable',
      `import { EC2Client, RunInstancesCommand, DescribeInstancesCommand } from '@aws-sdk/client-ec2';
import { S3Client, CreateBucketCommand, PutObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
const ec2 = new EC2Client({ region: 'eu-west-1' });
const run = await ec2.send(new RunInstancesCommand({ ImageId: 'ami-12c6146b', MinCount: 1, MaxCount: 1,
  InstanceType: 'm6i.large', TagSpecifications: [{ ResourceType: 'instance', Tags: [{ Key: 'drpilot:group', Value: 'g' }] }] }));
const described = await ec2.send(new DescribeInstancesCommand({ Filters: [{ Name: 'tag:drpilot:group', Values: ['g'] }] }));
const s3 = new S3Client({ region: 'eu-west-1', forcePathStyle: true });
await s3.send(new CreateBucketCommand({ Bucket: 'shakable', CreateBucketConfiguration: { LocationConstraint: 'eu-west-1' } }));
await s3.send(new PutObjectCommand({ Bucket: 'shakable', Key: 'backups/a/velero-backup.json', Body: '{}' }));
const listed = await s3.send(new ListObjectsV2Command({ Bucket: 'shakable', Prefix: 'backups/' }));
process.stdout.write(JSON.stringify({
  ran: run.Instances?.[0]?.InstanceId,
  found: described.Reservations?.flatMap((r) => r.Instances ?? []).map((i) => [i.InstanceId, i.InstanceType, i.Tags]),
  keys: listed.Contents?.map((o) => o.Key),
}));`,
    );
    for (const pkg of ['client-ec2', 'client-s3']) {
      expect(inputs.some((p) => p.includes(`drpilot-shakable-sdk/@aws-sdk+${pkg}@`))).toBe(true);
      expect(inputs.filter((p) => p.startsWith(`node_modules/@aws-sdk/${pkg}/`))).toEqual([]);
    }
    // Every SDK module comes from an ES build (a CommonJS build cannot be tree-shaken).
    expect(inputs.filter((p) => p.includes('/@aws-sdk') && p.includes('/dist-cjs/'))).toEqual([]);
    // A shape of a command the script never sends (EC2's AcceptAddressTransfer) is left out.
    expect(readFileSync(file, 'utf8')).not.toContain('AcceptAddressTransferRequest');
    const out = JSON.parse(execFileSync(process.execPath, [file], { env: process.env }).toString());
    expect(out.found).toEqual([[out.ran, 'm6i.large', [{ Key: 'drpilot:group', Value: 'g' }]]]);
    expect(out.keys).toEqual(['backups/a/velero-backup.json']);
  });

  it("leaves Powertools' Tracer and the X-Ray SDK out of an untraced function, in a traced one", async () => {
    const source = `import { withObservability } from ${JSON.stringify(powertools)};
export const handler = withObservability('t', async () => 'ok');`;
    const xray = (inputs: string[]) => inputs.some((p) => p.includes('/aws-xray-sdk-core/'));
    const tracer = (inputs: string[]) =>
      inputs.some((p) => p.includes('/@aws-lambda-powertools/tracer/'));

    const untraced = await bundle('untraced', source, configDefine(exampleConfig(false)));
    expect([xray(untraced.inputs), tracer(untraced.inputs)]).toEqual([false, false]);
    const traced = await bundle('traced', source, configDefine(exampleConfig(true)));
    expect([xray(traced.inputs), tracer(traced.inputs)]).toEqual([true, true]);
  });
});
