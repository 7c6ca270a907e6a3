import { Aspects, type Stack } from 'aws-cdk-lib';
import { AwsSolutionsChecks, NagSuppressions } from 'cdk-nag';
import type { IConstruct } from 'constructs';

/** A cdk-nag finding accepted on purpose. The reason says why the rule does not fit here. */
export interface Acknowledgement {
  /** Rule id, e.g. AwsSolutions-IAM5. */
  readonly rule: string;
  readonly reason: string;
  /** Narrow the acknowledgement to these findings of the rule (e.g. `Resource::*`). */
  readonly appliesTo?: string[];
}

/**
 * The one place that talks to cdk-nag's suppression API, so moving to cdk-nag 3
 * (`Validations.of(construct).acknowledge`) touches this file only.
 */
export function acknowledge(construct: IConstruct, acknowledgements: Acknowledgement[]): void {
  NagSuppressions.addResourceSuppressions(
    construct,
    acknowledgements.map(({ rule, reason, appliesTo }) => ({
      id: rule,
      reason,
      ...(appliesTo ? { appliesTo } : {}),
    })),
    true,
  );
}

/** AwsSolutions on every stack: any finding without an acknowledgement fails `cdk synth`. */
export function checkWithNag(stack: Stack): void {
  Aspects.of(stack).add(new AwsSolutionsChecks({ verbose: true }));
}
