import { fileURLToPath } from 'node:url';
import { Duration, Token } from 'aws-cdk-lib';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as destinations from 'aws-cdk-lib/aws-lambda-destinations';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { DrpilotConfig } from '../lambdas/core/config/schema';
import { METRICS_NAMESPACE } from '../lambdas/core/metric-names';
import {
  configDefine,
  CREATE_REQUIRE_BANNER,
  ESBUILD_TARGET,
  lambdaEsbuildAliasArgs,
  MAIN_FIELDS,
} from './lambda-bundling';
import { FailureQueue } from './failure-queue';
import { acknowledge } from './nag';
import { topicKeyGrantFindings } from './notification-topic';

const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));

/** The newest Node.js runtime aws-cdk-lib offers; `esbuild --target` follows it. */
export const NODE_RUNTIME = lambda.Runtime.NODEJS_24_X;

export interface ReactiveFunctionProps {
  /** The handler module, e.g. `lambdas/status/handler.ts` (relative to the repository root). */
  readonly entry: string;
  /** Exported handler name. @default 'handler' */
  readonly handler?: string;
  readonly description: string;
  /**
   * Inlined into the bundle at build time as `process.env.DRPILOT_CONFIG_JSON` (esbuild `define`),
   * never set as an environment variable: it would be visible to anyone who can read the function
   * configuration and is capped at 4 KB.
   */
  readonly config: DrpilotConfig;
  /** Physical name; set it when the CLI or people need to find the function. */
  readonly functionName?: string;
  /** Physical name of the role; set it when a stack in another region must name the role. */
  readonly roleName?: string;
  /** The stack's failure alarm pages on this topic (same region as the function, lib/pager.ts). */
  readonly alarmTopic: sns.ITopic;
  /** The stack's customer managed key (`encryption: "customer-managed"`): the failure queue's. */
  readonly encryptionKey?: kms.IKey;
  /** @default Duration.minutes(1) */
  readonly timeout?: Duration;
  /** @default 256 */
  readonly memorySize?: number;
  /** @default - unreserved: the function draws on the account's unreserved concurrency */
  readonly reservedConcurrency?: number;
  /** Retries of an asynchronous invocation that failed (0–2). @default 2 */
  readonly retryAttempts?: number;
  /**
   * How old an asynchronous event may be and still run; older ones go to the stack's failure queue.
   * Reactions to alarms are worthless once stale. @default Duration.hours(1)
   */
  readonly maxEventAge?: Duration;
  /** @default logs.RetentionDays.THREE_MONTHS */
  readonly logRetention?: logs.RetentionDays;
}

export interface UnscopedPermission {
  readonly actions: string[];
  /** Why these actions cannot be scoped to resources; becomes the cdk-nag acknowledgement. */
  readonly reason: string;
  readonly conditions?: Record<string, unknown>;
}

/**
 * A Lambda function that alarms or EventBridge invoke asynchronously: a reaction that fails is
 * never lost silently. Failed and expired invocations land in the stack's encrypted failure queue
 * (FailureQueue: one per stack, the record names the function), and an alarm on that queue
 * pages on the topic through the stack's pager (lib/pager.ts). Its role starts empty (no AWS
 * managed policies): logs to its own log group, X-Ray, the failure queue, and whatever the owner
 * grants.
 */
export class ReactiveFunction extends Construct {
  readonly fn: nodejs.NodejsFunction;
  readonly role: iam.Role;
  readonly logGroup: logs.LogGroup;
  /** The stack's failure queue, shared by its asynchronous functions. */
  readonly failureQueue: sqs.Queue;
  /** The alarm on the stack's failure queue. */
  readonly failureAlarm: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: ReactiveFunctionProps) {
    super(scope, id);
    const tracing = props.config.observability.tracing;

    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      ...(props.roleName ? { roleName: props.roleName } : {}),
      description: `Runs ${props.functionName ?? id}: ${props.description}`.slice(0, 1000),
    });

    this.logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetention ?? logs.RetentionDays.THREE_MONTHS,
    });
    this.logGroup.grantWrite(this.role);

    const failures = FailureQueue.of(this, {
      config: props.config,
      alarmTopic: props.alarmTopic,
      encryptionKey: props.encryptionKey,
    });
    this.failureQueue = failures.queue;
    this.failureAlarm = failures.alarm;

    this.fn = new nodejs.NodejsFunction(this, 'Function', {
      entry: `${REPO_ROOT}/${props.entry}`,
      handler: props.handler ?? 'handler',
      projectRoot: REPO_ROOT,
      depsLockFilePath: `${REPO_ROOT}/package-lock.json`,
      functionName: props.functionName,
      description: props.description,
      runtime: NODE_RUNTIME,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySize ?? 256,
      timeout: props.timeout ?? Duration.minutes(1),
      reservedConcurrentExecutions: props.reservedConcurrency,
      role: this.role,
      logGroup: this.logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      // X-Ray is opt-in (observability.tracing): $5 per million traces of mostly scheduled runs.
      tracing: tracing ? lambda.Tracing.ACTIVE : lambda.Tracing.DISABLED,
      retryAttempts: props.retryAttempts ?? 2,
      maxEventAge: props.maxEventAge ?? Duration.hours(1),
      onFailure: new destinations.SqsDestination(this.failureQueue),
      environment: {
        NODE_OPTIONS: '--enable-source-maps',
        // Powertools' Tracer would otherwise look for a trace header that Lambda no longer sends.
        ...(tracing ? {} : { POWERTOOLS_TRACE_ENABLED: 'false' }),
      },
      bundling: {
        format: nodejs.OutputFormat.ESM,
        target: ESBUILD_TARGET,
        mainFields: MAIN_FIELDS,
        banner: CREATE_REQUIRE_BANNER,
        minify: true,
        // esbuild's size summary per function buries cdk's own output; warnings still show.
        logLevel: nodejs.LogLevel.WARNING,
        sourceMap: true,
        sourcesContent: false,
        // The runtime's own SDK is whatever version AWS ships that week and lacks some packages;
        // bundling the pinned clients runs the code the adapter tests ran against.
        externalModules: [],
        define: configDefine(props.config),
        esbuildArgs: lambdaEsbuildAliasArgs(),
      },
    });

    acknowledge(this.role, [
      ...(tracing
        ? [
            {
              rule: 'AwsSolutions-IAM5',
              reason:
                'Active tracing: xray:PutTraceSegments and xray:PutTelemetryRecords support no resource-level permissions.',
              appliesTo: ['Resource::*'],
            },
          ]
        : []),
      ...(props.config.encryption === 'customer-managed'
        ? [
            {
              rule: 'AwsSolutions-IAM5',
              reason:
                'CDK grant for sending to the SSE-KMS failure queue; scoped to that one key ARN, the wildcard only spans GenerateDataKey/ReEncrypt variants.',
              appliesTo: ['Action::kms:GenerateDataKey*', 'Action::kms:ReEncrypt*'],
            },
          ]
        : []),
    ]);
  }

  /**
   * Lets the function publish to `topic`: sns:Publish, and kms:Decrypt and kms:GenerateDataKey* on
   * the topic's key, which a publisher to an encrypted topic needs ("Configuring AWS KMS
   * permissions", https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html). CDK's grant
   * scopes them to the stack's customer managed key, or, for the AWS managed key alias/aws/sns
   * (imported by alias), to key/* where kms:ResourceAliases is that alias.
   */
  allowPublish(topic: sns.ITopic): void {
    topic.grantPublish(this.role);
    acknowledge(this.role, [
      {
        rule: 'AwsSolutions-IAM5',
        reason:
          "CDK grant for publishing to the KMS-encrypted notification topic: one key (the stack's customer managed key, or key/* limited by kms:ResourceAliases to alias/aws/sns); the action wildcard only spans GenerateDataKey variants.",
        appliesTo: ['Action::kms:GenerateDataKey*', ...topicKeyGrantFindings(this, topic)],
      },
    ]);
  }

  /** Adds a statement scoped to resources; `*` goes through allowOnAnyResource with its reason. */
  addToRolePolicy(statement: iam.PolicyStatement): void {
    const json = statement.toStatementJson() as { Resource?: unknown };
    const resources = ([] as unknown[]).concat(json.Resource ?? []);
    if (resources.length === 0 || resources.some((r) => !Token.isUnresolved(r) && r === '*')) {
      throw new Error(
        `${this.node.path}: use allowOnAnyResource() for actions without resource-level permissions (${statement.actions.join(', ')})`,
      );
    }
    this.role.addToPrincipalPolicy(statement);
  }

  /**
   * For actions that support no resource-level permissions: a policy of its own, so the cdk-nag
   * acknowledgement (with this reason) covers exactly these actions.
   */
  allowOnAnyResource(id: string, permission: UnscopedPermission): iam.Policy {
    const policy = new iam.Policy(this, id, {
      roles: [this.role],
      statements: [
        new iam.PolicyStatement({
          actions: permission.actions,
          resources: ['*'],
          ...(permission.conditions ? { conditions: permission.conditions } : {}),
        }),
      ],
    });
    acknowledge(policy, [
      { rule: 'AwsSolutions-IAM5', reason: permission.reason, appliesTo: ['Resource::*'] },
    ]);
    return policy;
  }

  /** PutMetricData, only into drpilot's own namespace (the action has no resource-level permissions). */
  allowPublishMetrics(id: string): iam.Policy {
    return this.allowOnAnyResource(id, {
      actions: ['cloudwatch:PutMetricData'],
      reason:
        'cloudwatch:PutMetricData supports no resource-level permissions; limited to the drpilot namespace by the cloudwatch:namespace condition.',
      conditions: { StringEquals: { 'cloudwatch:namespace': METRICS_NAMESPACE } },
    });
  }
}
