/**
 * The layer boundaries are lint rules (eslint-rules/layers.js). Each deliberately bad fixture in
 * test/fixtures/layers is linted as if it lived where its first line says, and must fire the rule
 * with the message that says where the code belongs; the good ones must pass.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '../..');
const FIXTURES = join(ROOT, 'test/fixtures/layers');
const eslint = new ESLint({ cwd: ROOT });

async function boundaryMessages(fixture: string): Promise<string[]> {
  const code = readFileSync(join(FIXTURES, fixture), 'utf8');
  const pretendPath = /^\/\/ as (\S+)/.exec(code)?.[1];
  if (!pretendPath) throw new Error(`${fixture} does not say where it pretends to live`);
  const [result] = await eslint.lintText(code, { filePath: join(ROOT, pretendPath) });
  return (result?.messages ?? [])
    .filter((m) => m.ruleId === 'drpilot/import-boundaries')
    .map((m) => m.message);
}

describe('layer boundaries', () => {
  it.each([
    ['core-imports-an-adapter.ts', /lambdas\/core is pure: it imports only lambdas\/core/],
    ['core-imports-the-sdk.ts', /may not import @aws-sdk\/client-route-53: lambdas\/core is pure/],
    [
      'core-reads-a-file.ts',
      /may not import node:fs: lambdas\/core is pure: no SDK, Powertools, file or network I\/O/,
    ],
    ['lib-imports-a-handler.ts', /lib\/ and bin\/ \(the CDK app\) import only lambdas\/core/],
    ['lib-imports-the-cli.ts', /may not import cli\/config-file: lib\/ and bin\/ \(the CDK app\)/],
    [
      'bin-imports-an-adapter.ts',
      /bin\/example\.ts may not import lambdas\/adapters\/aws\/route53-records/,
    ],
    [
      'handler-calls-the-sdk.ts',
      /handlers and executors \(lambdas\/<job>\/\) make no SDK or network calls themselves: call an adapter/,
    ],
    ['executor-uses-the-network.ts', /may not import node:https: handlers and executors/],
    ['executor-imports-the-cli.ts', /Lambda code never imports the CLI/],
    ['adapter-imports-a-job.ts', /adapters only observe or carry out/],
    ['cli-imports-the-cdk-app.ts', /cli\/ never imports the CDK app/],
    ['cli-calls-the-sdk.ts', /the CLI reaches AWS through lambdas\/adapters\//],
    [
      'executor-imports-all-clients.ts',
      /lambdas\/resync\/example\.ts may not import lambdas\/adapters\/aws\/clients: it loads all twelve AWS SDK packages\. Import each client from its service's own module in lambdas\/adapters\/aws\/sdk-clients\/.*so each Lambda bundle carries only the SDK clients it calls/,
    ],
    [
      'cli-imports-all-clients.ts',
      /cli\/drill\/example\.ts may not import lambdas\/adapters\/aws\/clients: it loads all twelve/,
    ],
  ])('%s fires the rule, saying where the code belongs', async (fixture, message) => {
    const messages = await boundaryMessages(fixture);
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatch(message);
  });

  it.each(['good-layers.ts', 'good-emulator.ts'])('%s passes', async (fixture) => {
    expect(await boundaryMessages(fixture)).toEqual([]);
  });
});
