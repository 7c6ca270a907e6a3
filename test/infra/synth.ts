import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { App, type Stack } from 'aws-cdk-lib';
import type { Template } from 'aws-cdk-lib/assertions';
import type { DrpilotConfig } from '../../lambdas/core/config/schema';
import { validateConfig } from '../../lambdas/core/config/validate';
import { addDrpilotStacks, type DrpilotStacks } from '../../lib/drpilot-app';
import { exampleConfig } from '../support/example-config';

export const TEST_ACCOUNT = '123456789012';
export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** The feature flags `cdk synth` runs with, so tests synthesize what the CLI would. */
export function cdkJsonContext(): Record<string, unknown> {
  return JSON.parse(readFileSync(join(REPO_ROOT, 'cdk.json'), 'utf8')).context;
}

export function validExampleConfig(
  edit?: (doc: ReturnType<typeof exampleConfig>) => void,
): DrpilotConfig {
  const doc = exampleConfig();
  edit?.(doc);
  const result = validateConfig(doc);
  if (!result.ok) throw new Error(`example config invalid: ${JSON.stringify(result.errors)}`);
  return result.config;
}

/**
 * A fresh app in a temp dir. `bundle: false` skips esbuild (assets become placeholders), which is
 * all that template-level checks need.
 */
export function newTestApp(bundle: boolean): App {
  return new App({
    outdir: mkdtempSync(join(tmpdir(), 'drpilot-cdk-')),
    context: { ...cdkJsonContext(), ...(bundle ? {} : { 'aws:cdk:bundling-stacks': [] }) },
  });
}

/** Template JSON as aws-cdk-lib/assertions hands it out (untyped CloudFormation). */
export type TemplateJson = ReturnType<Template['toJSON']>;

export function defined<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`expected ${what}`);
  return value;
}

export interface SynthesizedApp {
  readonly app: App;
  readonly config: DrpilotConfig;
  readonly stacks: DrpilotStacks;
  readonly all: Stack[];
}

export function synthExampleApp(options: { bundle: boolean }): SynthesizedApp {
  const app = newTestApp(options.bundle);
  const config = validExampleConfig();
  const stacks = addDrpilotStacks(app, config, TEST_ACCOUNT);
  app.synth();
  return { app, config, stacks, all: [stacks.control, stacks.regions.primary, stacks.regions.dr] };
}
