import { ArnFormat, Duration, Stack, type CfnElement } from 'aws-cdk-lib';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import type { DrpilotConfig } from '../lambdas/core/config/schema';
import {
  drillRunbook,
  undoPlan,
  type RunbookAction,
  type RunbookJob,
  type RunbookStep,
} from '../lambdas/core/drill/runbook';
import {
  drillReportBucketName,
  resultKey,
  RUNBOOK_STATES,
} from '../lambdas/core/drill/runbook-states';
import { LAMBDA_TRANSIENT_ERRORS } from './resize';
import { names } from './names';
import { acknowledge } from './nag';

export interface DrillRunbookProps {
  readonly config: DrpilotConfig;
  /** The control region's deployed functions the steps invoke; null where not deployed. */
  readonly functions: Readonly<Record<Exclude<RunbookJob, 'resize'>, lambda.IFunction | null>>;
}

const RETRY: sfn.RetryProps = {
  errors: LAMBDA_TRANSIENT_ERRORS,
  interval: Duration.seconds(2),
  backoffRate: 2,
  maxAttempts: 6,
  maxDelay: Duration.seconds(30),
  jitterStrategy: sfn.JitterType.FULL,
};

/**
 * The drill runbook (lambdas/core/drill/runbook.ts) as a Step Functions state machine: each step
 * a Task invoking the deployed function with the step's payload, then a Choice that applies the
 * step's accept rule. A Task that fails (after the transient Lambda errors' retries) is caught,
 * and an answer the rule rejects is turned into the same failure; both go to the undo chain,
 * which undoes each reversible step that passed (marked in `$.done`), newest first, and ends in
 * the Fail state. Optional steps sit behind a Choice on the execution's input.
 *
 * The scale-up steps call the resize function in the DR region: a Lambda task cannot invoke a
 * function in another region, so those are CallAwsServiceCrossRegion tasks (a CDK-made function
 * calls Lambda Invoke there and returns its answer, decoded, under `Payload`).
 */
export class DrillRunbook extends Construct {
  readonly stateMachine: sfn.StateMachine;
  readonly steps: RunbookStep[];
  /** Each run's report (`drill runbook --via lambda`), locked for the retention period. */
  readonly reportBucket: s3.Bucket;
  readonly accessLogsBucket: s3.Bucket;

  constructor(scope: Construct, id: string, props: DrillRunbookProps) {
    super(scope, id);
    const { config } = props;
    this.steps = drillRunbook(config);
    const stack = Stack.of(this);

    const failed = new sfn.Fail(this, RUNBOOK_STATES.failed, {
      errorPath: '$.failure.Error',
      causePath: '$.failure.Cause',
      comment: 'a step failed; the reversible steps that had passed were undone',
    });
    // The undo chain, built from its end: each undo runs only when its step passed.
    let undoEntry: sfn.IChainable = failed;
    for (const undo of undoPlan(this.steps).reverse()) {
      const step = this.steps.find((s) => s.undo === undo) as RunbookStep;
      const task = this.task(undo, `$.undone.${resultKey(undo.id)}`, config, props, stack);
      task.addCatch(undoEntry, { resultPath: `$.undoFailed.${resultKey(undo.id)}` });
      task.next(undoEntry);
      undoEntry = new sfn.Choice(this, `${undo.id}?`, {
        comment: `undo only when "${step.id}" passed`,
      })
        .when(sfn.Condition.isPresent(`$.done.${resultKey(step.id)}`), task)
        .otherwise(undoEntry);
    }

    // The steps, built from the end: each one's Choice goes on to the next step's entry.
    let next: sfn.IChainable = new sfn.Succeed(this, RUNBOOK_STATES.passed);
    for (const step of [...this.steps].reverse()) {
      const key = resultKey(step.id);
      const answer = `$.results.${key}${step.region === 'dr' ? '.Payload' : ''}`;
      const task = this.task(step, `$.results.${key}`, config, props, stack);
      task.addCatch(undoEntry, { resultPath: '$.failure' });
      const rejected = new sfn.Pass(this, `${step.id}: not accepted`, {
        parameters: {
          Error: 'drpilot.StepNotAccepted',
          Cause: sfn.JsonPath.format(
            `${step.id}: ${step.accept.path.join('.')} is not ${step.accept.oneOf.map((v) => JSON.stringify(v)).join(' or ')}; answer {}`,
            sfn.JsonPath.jsonToString(sfn.JsonPath.objectAt(`$.results.${key}`)),
          ),
        },
        resultPath: '$.failure',
      });
      rejected.next(undoEntry);
      const valuePath = `${answer}.${step.accept.path.join('.')}`;
      const accepted = sfn.Condition.and(
        ...(step.region === 'dr'
          ? [sfn.Condition.isNotPresent(`$.results.${key}.FunctionError`)]
          : []),
        sfn.Condition.isPresent(valuePath),
        sfn.Condition.or(
          ...step.accept.oneOf.map((value) =>
            typeof value === 'string'
              ? sfn.Condition.stringEquals(valuePath, value)
              : typeof value === 'number'
                ? sfn.Condition.numberEquals(valuePath, value)
                : sfn.Condition.booleanEquals(valuePath, value),
          ),
        ),
      );
      const afterPass: sfn.IChainable = step.undo
        ? new sfn.Pass(this, `${step.id}: done`, {
            comment: 'marks the step for the undo chain',
            result: sfn.Result.fromBoolean(true),
            resultPath: `$.done.${key}`,
          }).next(next)
        : next;
      task.next(
        new sfn.Choice(this, `${step.id}: accepted?`).when(accepted, afterPass).otherwise(rejected),
      );
      next = step.onlyWhen
        ? new sfn.Choice(this, `${step.id}?`, { comment: `only with ${step.onlyWhen}` })
            .when(sfn.Condition.booleanEquals(`$.input.${step.onlyWhen}`, true), task)
            .otherwise(next)
        : task;
    }

    // The input is checked first: a missing field fails here, before anything changed.
    const start = new sfn.Pass(this, RUNBOOK_STATES.start, {
      parameters: {
        input: { 'drill.$': '$.drill', 'scaleUp.$': '$.scaleUp' },
        results: {},
        done: {},
      },
    });
    start.next(next);

    ({ reports: this.reportBucket, accessLogs: this.accessLogsBucket } =
      this.reportBuckets(config));

    const logGroup = new logs.LogGroup(this, 'RunbookLogs', {
      retention: logs.RetentionDays.ONE_YEAR,
    });
    this.stateMachine = new sfn.StateMachine(this, 'Runbook', {
      stateMachineName: names.drillStateMachine(config),
      comment: `drpilot ${config.name}: the drill runbook (${this.steps.map((s) => s.id).join(' → ')})`,
      definitionBody: sfn.DefinitionBody.fromChainable(start),
      timeout: Duration.hours(2),
      tracingEnabled: true,
      logs: { destination: logGroup, level: sfn.LogLevel.ALL, includeExecutionData: true },
    });
    // CallAwsServiceCrossRegion's function (one per stack, made by CDK), when a step needs it.
    const crossRegion = stack.node.children.filter((c) =>
      c.node.id.startsWith('CrossRegionAwsSdk'),
    );
    const invoked = [
      ...Object.values(props.functions).flatMap((fn) => (fn ? [fn.node.defaultChild] : [])),
      ...crossRegion.map((c) => c.node.defaultChild),
    ];
    for (const fn of crossRegion) {
      acknowledge(fn, [
        {
          rule: 'AwsSolutions-IAM4',
          reason:
            "CDK's CallAwsServiceCrossRegion function logs with AWSLambdaBasicExecutionRole (its own log group only); its one other right is lambda:InvokeFunction on the DR region's resize function.",
          appliesTo: [
            'Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole',
          ],
        },
      ]);
    }
    acknowledge(this.stateMachine, [
      {
        rule: 'AwsSolutions-IAM5',
        reason:
          "CDK grants for invoking the runbook's functions: each wildcard is one function's versions and aliases (`<function ARN>:*`).",
        appliesTo: invoked.map((fn) => `Resource::<${stack.getLogicalId(fn as CfnElement)}.Arn>:*`),
      },
      {
        rule: 'AwsSolutions-IAM5',
        reason:
          'Step Functions logging to CloudWatch Logs and X-Ray need log-delivery and trace actions that support no resource-level permissions.',
        appliesTo: ['Resource::*'],
      },
    ]);
  }

  /**
   * The report bucket: versioned, encrypted, TLS only, no public access, its server access logs
   * in a bucket of their own; Object Lock in governance mode keeps each report for the retention
   * period (a person with s3:BypassGovernanceRetention can still remove one), and the lifecycle
   * removes it once that period is over. The period is drills.reportRetentionDays (drill reports
   * are audit evidence).
   */
  private reportBuckets(config: DrpilotConfig): { reports: s3.Bucket; accessLogs: s3.Bucket } {
    const retention = Duration.days(config.drills.reportRetentionDays);
    const accessLogs = new s3.Bucket(this, 'ReportAccessLogs', {
      // Server access logs are delivered with SSE-S3 only.
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      versioned: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      lifecycleRules: [{ expiration: retention, noncurrentVersionExpiration: Duration.days(1) }],
    });
    const reports = new s3.Bucket(this, 'Reports', {
      bucketName: drillReportBucketName(config, Stack.of(this).account),
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      versioned: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      serverAccessLogsBucket: accessLogs,
      serverAccessLogsPrefix: 'reports/',
      objectLockEnabled: true,
      objectLockDefaultRetention: s3.ObjectLockRetention.governance(retention),
      lifecycleRules: [{ expiration: retention, noncurrentVersionExpiration: Duration.days(1) }],
    });
    return { reports, accessLogs };
  }

  private task(
    action: RunbookAction,
    resultPath: string,
    config: DrpilotConfig,
    props: DrillRunbookProps,
    stack: Stack,
  ): sfn.TaskStateBase {
    if (action.job === 'resize') {
      const region = config.clusters.dr.region;
      const functionArn = stack.formatArn({
        service: 'lambda',
        region,
        resource: 'function',
        resourceName: names.function(config, 'resize'),
        arnFormat: ArnFormat.COLON_RESOURCE_NAME,
      });
      if (Object.values(action.payload).some((v) => typeof v === 'object')) {
        throw new Error(`${action.id}: a cross-region step takes a literal payload`);
      }
      const task = new tasks.CallAwsServiceCrossRegion(this, action.id, {
        region,
        service: 'lambda',
        action: 'invoke',
        iamAction: 'lambda:InvokeFunction',
        iamResources: [functionArn],
        parameters: { FunctionName: functionArn, Payload: JSON.stringify(action.payload) },
        resultPath,
      });
      task.addRetry(RETRY);
      return task;
    }
    const fn = props.functions[action.job];
    if (!fn) throw new Error(`${action.id}: the ${action.job} function is not deployed`);
    const task = new tasks.LambdaInvoke(this, action.id, {
      lambdaFunction: fn,
      payload: sfn.TaskInput.fromObject(
        Object.fromEntries(
          Object.entries(action.payload).map(([k, v]) =>
            typeof v === 'object' ? [k, sfn.JsonPath.stringAt(`$.input.${v.input}`)] : [k, v],
          ),
        ),
      ),
      payloadResponseOnly: true,
      retryOnServiceExceptions: false,
      resultPath,
    });
    task.addRetry(RETRY);
    return task;
  }
}
