import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { App, Validations, type CfnResource, type Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { VALIDATION_REPORT_FILE } from 'aws-cdk-lib/cx-api';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { vi } from 'vitest';
import type { DrpilotConfig } from '../../lambdas/core/config/schema';
import { validateConfig } from '../../lambdas/core/config/validate';
import { addDrpilotStacks, type DrpilotStacks } from '../../lib/drpilot-app';
import { exampleConfig } from '../support/example-config';
import { tempDir } from '../support/temp-dir';

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
export function newTestApp(bundle: boolean, context: Record<string, unknown> = {}): App {
  return new App({
    outdir: tempDir('drpilot-cdk-'),
    context: {
      ...cdkJsonContext(),
      ...(bundle ? {} : { 'aws:cdk:bundling-stacks': [] }),
      ...context,
    },
  });
}

/** Template JSON as aws-cdk-lib/assertions hands it out (untyped CloudFormation). */
export type TemplateJson = ReturnType<Template['toJSON']>;

/** One statement of an IAM policy document in a synthesized template. */
export interface PolicyStatement {
  Sid?: string;
  Effect?: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: Record<string, Record<string, unknown>>;
}

/** A statement's actions as a list (CloudFormation allows one string or a list). */
export const actionsOf = (s: { Action: string | string[] }): string[] =>
  ([] as string[]).concat(s.Action);

/** A statement's resources as a list. */
export const resourcesOf = (s: { Resource: unknown }): unknown[] =>
  ([] as unknown[]).concat(s.Resource);

/** The logical id `stack` gives the CloudFormation resource behind `construct`. */
export function logicalId(stack: Stack, construct: { node: { defaultChild?: unknown } }): string {
  return stack.resolve((construct.node.defaultChild as CfnResource).logicalId) as string;
}

/** The statements of every AWS::IAM::Policy in `stack` attached to the role of `fn`. */
export function statementsOf(
  stack: Stack,
  fn: { role: { node: { defaultChild?: unknown } } },
): PolicyStatement[] {
  const roleId = logicalId(stack, fn.role);
  return Object.values<TemplateJson>(Template.fromStack(stack).findResources('AWS::IAM::Policy'))
    .filter((p) =>
      (p.Properties.Roles as unknown[]).some((r) => JSON.stringify(r) === `{"Ref":"${roleId}"}`),
    )
    .flatMap((p) => p.Properties.PolicyDocument.Statement as PolicyStatement[]);
}

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

export function synthExampleApp(options: {
  bundle: boolean;
  /** Extra context, e.g. `@aws-cdk/core:failSynthOnValidationErrors: false` to read findings. */
  context?: Record<string, unknown>;
  /** Runs after the stacks are built and before synthesis. */
  edit?: (all: Stack[]) => void;
  /** Edits the example config document before it is validated. */
  config?: (doc: ReturnType<typeof exampleConfig>) => void;
}): SynthesizedApp {
  const app = newTestApp(options.bundle, options.context);
  const config = validExampleConfig(options.config);
  // Bundling happens as the functions are constructed, then synthesis writes the assets.
  return quietly(options.bundle, () => {
    const stacks = addDrpilotStacks(app, config, TEST_ACCOUNT);
    const all = [stacks.control, stacks.regions.primary, stacks.regions.dr];
    options.edit?.(all);
    app.synth();
    return { app, config, stacks, all };
  });
}

/**
 * CDK writes `Bundling asset <path>...` to stderr for every function it bundles: a passing run
 * prints results only, so that text is kept and shown only if the synthesis fails.
 */
function quietly<T>(bundle: boolean, run: () => T): T {
  if (!bundle) return run();
  const write = process.stderr.write.bind(process.stderr);
  const held: string[] = [];
  process.stderr.write = ((chunk: string | Uint8Array) => {
    held.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
    return true;
  }) as typeof process.stderr.write;
  try {
    return run();
  } catch (error) {
    write(held.join(''));
    throw error;
  } finally {
    process.stderr.write = write;
  }
}

/** One unacknowledged cdk-nag finding as CDK's validation report lists it. */
export interface NagFinding {
  /** `AwsSolutions-SQS3`, or `AwsSolutions-IAM5[Resource::*]` for rules with findings. */
  readonly rule: string;
  readonly severity: string;
  /** Construct path of the L1 resource, e.g. `Stack/Queue/Resource`. */
  readonly path: string;
}

interface ValidationReportJson {
  pluginReports: {
    pluginName: string;
    conclusion: string;
    violations: {
      ruleName: string;
      severity: string;
      violatingConstructs: { constructPath: string }[];
    }[];
  }[];
}

/**
 * The unacknowledged AwsSolutions findings in the validation report that the last synthesis of
 * `app` wrote (`validation-report.json` in the cloud assembly). CDK leaves a plugin that found
 * nothing out of the report, so an empty list only means "clean" together with `watchNag`, which
 * shows that the plugin ran.
 */
export function nagFindings(app: App): NagFinding[] {
  const file = join(app.outdir, VALIDATION_REPORT_FILE);
  const report = JSON.parse(readFileSync(file, 'utf8')) as ValidationReportJson;
  const pluginName = new AwsSolutionsChecks().name;
  return report.pluginReports
    .filter((r) => r.pluginName === pluginName)
    .flatMap((r) => r.violations)
    .flatMap((v) =>
      v.violatingConstructs.map((c) => ({
        rule: v.ruleName,
        severity: v.severity,
        path: c.constructPath,
      })),
    );
}

/** One run of the AwsSolutions plugin, as CDK's validation called it. */
export interface NagRun {
  /** The construct tree it walked (CDK passes the root of the app being synthesized). */
  readonly scope: IConstruct;
  readonly success: boolean;
  readonly violations: number;
}

/** Runs `synthesize` and records every run of the AwsSolutions plugin during it. */
export function watchNag<T>(synthesize: () => T): { value: T; runs: NagRun[] } {
  const validate = vi.spyOn(AwsSolutionsChecks.prototype, 'validate');
  try {
    const value = synthesize();
    const runs = validate.mock.calls.map(([context], i) => {
      const result = validate.mock.results[i];
      if (result?.type !== 'return') throw new Error('AwsSolutions plugin threw');
      return {
        scope: context.appConstruct,
        success: result.value.success,
        violations: result.value.violations.length,
      };
    });
    return { value, runs };
  } finally {
    validate.mockRestore();
  }
}

/** An acknowledgement recorded with `Validations.of(construct).acknowledge`. */
export interface RecordedAcknowledgement {
  /** Construct path of the construct it was made on (it covers everything below). */
  readonly path: string;
  /** As written, e.g. `AwsSolutions-IAM5[Resource::*]` (CDK's `Annotation::` prefix removed). */
  readonly id: string;
  readonly reason: string;
}

/** Every acknowledgement made on `scope` or below, read from the construct tree's metadata. */
export function acknowledgementsIn(scope: IConstruct): RecordedAcknowledgement[] {
  return scope.node.findAll().flatMap((construct) =>
    construct.node.metadata
      .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((entry) =>
        Object.entries(entry.data as Record<string, string>).map(([id, reason]) => ({
          path: construct.node.path,
          id: id.replace(/^annotation::/i, ''),
          reason,
        })),
      ),
  );
}
