import { Validations, type Acknowledgment } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';

/** A cdk-nag finding accepted on purpose. The reason says why the rule does not fit here. */
export interface Acknowledgement {
  /** Rule id, e.g. AwsSolutions-IAM5 (without a `[finding]` suffix: that goes in `appliesTo`). */
  readonly rule: string;
  readonly reason: string;
  /**
   * The findings of the rule accepted here (e.g. `Resource::*`). Required for rules that report
   * findings (IAM4, IAM5): cdk-nag 3 matches `Rule[finding]` exactly, so a bare rule id would
   * acknowledge nothing.
   */
  readonly appliesTo?: string[];
}

/** The cdk-nag 3 ids an acknowledgement stands for: `Rule`, or `Rule[finding]` per finding. */
export function acknowledgementIds({ rule, appliesTo }: Acknowledgement): string[] {
  if (/[[\]]/.test(rule)) throw new Error(`${rule}: put the finding in appliesTo, not in the rule`);
  if (appliesTo === undefined) return [rule];
  if (appliesTo.length === 0) throw new Error(`${rule}: appliesTo is empty; list the findings`);
  return appliesTo.map((finding) => `${rule}[${finding}]`);
}

/**
 * The one place that acknowledges cdk-nag findings, so constructs do not depend on cdk-nag or on
 * how its version spells suppressions. cdk-nag 3 reads CDK's own acknowledgements
 * (`Validations.of(construct).acknowledge`, recorded as `aws:cdk:acknowledged-rules` metadata) on
 * the construct and its ancestors, so acknowledging a construct covers every resource inside it.
 * The ids are cdk-nag's own (`AwsSolutions-SQS3`), not the `AwsSolutions::AwsSolutions-SQS3` form
 * CDK's report suggests: that one bypasses cdk-nag and is applied by CDK after the plugin ran.
 */
export function acknowledge(construct: IConstruct, acknowledgements: Acknowledgement[]): void {
  Validations.of(construct).acknowledge(
    ...acknowledgements.flatMap((ack): Acknowledgment[] =>
      acknowledgementIds(ack).map((id) => ({ id, reason: ack.reason })),
    ),
  );
}

/** Apps that already have the AwsSolutions plugin: it checks the whole app, so once is enough. */
const checkedApps = new WeakSet<IConstruct>();

/**
 * AwsSolutions on the app that `scope` belongs to (any construct in it; idempotent). cdk-nag 3 is a
 * policy-validation plugin: after the templates are written it walks the whole construct tree, and
 * any finding (error or warning) without an acknowledgement fails synthesis with a report on
 * stderr and in `validation-report.json` in the cloud assembly.
 */
export function checkWithNag(scope: IConstruct): void {
  const app = scope.node.root;
  if (checkedApps.has(app)) return;
  checkedApps.add(app);
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
}
