import { CustomResource, Duration, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { AKS_ACTIONS, AKS_PROBLEM_METRIC, type AksProblem } from '../lambdas/core/aks/names';
import type { DrpilotConfig } from '../lambdas/core/config/schema';
import { METRICS_NAMESPACE } from '../lambdas/core/metric-names';
import {
  grantPublishAksProblems,
  grantReadResolverEndpoints,
  grantReadWebhookSecret,
  webhookSecretArn,
} from './aks-grants';
import { names } from './names';
import { Pager } from './pager';
import { ReactiveFunction } from './reactive-function';
import { readZoneStatement } from './shared-statements';

export const FLUSH_INPUT = { action: AKS_ACTIONS.flush, reason: 'every minute' } as const;
export const RESOLVER_IPS_INPUT = {
  action: AKS_ACTIONS.resolverIps,
  reason: 'every 15 minutes',
} as const;

export interface AksEventsProps {
  readonly config: DrpilotConfig;
  /** The outbox lives here. */
  readonly stateTable: dynamodb.ITable;
  readonly notificationTopic: sns.ITopic;
  readonly encryptionKey?: kms.IKey;
}

/**
 * The AWS → AKS sender in the control region: the webhook secret (created with a generated value
 * unless it exists), the `aks` function (every minute: retry pending events and publish the
 * problem metrics; every 15 minutes: the active side's resolver addresses), and an alarm per
 * problem (401 from the AKS side; no ATTACHED resolver address).
 */
export class AksEvents extends Construct {
  readonly reactive: ReactiveFunction;
  readonly secretResource: ReactiveFunction;
  readonly secret: CustomResource;
  readonly flush: events.Rule;
  readonly resolverIps: events.Rule;
  readonly problemAlarms: Record<AksProblem, cloudwatch.Alarm>;
  private readonly config: DrpilotConfig;

  constructor(scope: Construct, id: string, props: AksEventsProps) {
    super(scope, id);
    const { config } = props;
    this.config = config;
    const azure = config.azure;
    if (!azure) throw new Error(`${this.node.path}: azure is not configured`);
    const stack = Stack.of(this);

    // The secret is made by a custom resource, not AWS::SecretsManager::Secret: that would fail the
    // deployment when a secret of the name exists (one made by hand, or kept from an earlier
    // stack), and deleting the stack would delete the key the Function app still holds.
    this.secretResource = new ReactiveFunction(this, 'SecretResource', {
      entry: 'lambdas/aks/webhook-secret-resource.ts',
      description:
        'drpilot aks secret: creates the webhook HMAC secret with a generated value unless it exists; never changes or deletes it',
      functionName: names.function(config, 'aks-secret'),
      config,
      alarmTopic: props.notificationTopic,
      encryptionKey: props.encryptionKey,
      timeout: Duration.minutes(1),
      retryAttempts: 0,
    });
    const secretArn = webhookSecretArn(stack, config);
    this.secretResource.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'CreateTheWebhookSecretUnlessItExists',
        actions: ['secretsmanager:DescribeSecret', 'secretsmanager:CreateSecret'],
        resources: [secretArn],
      }),
    );
    this.secret = new CustomResource(this, 'WebhookSecret', {
      serviceToken: this.secretResource.fn.functionArn,
      resourceType: 'Custom::DrpilotWebhookSecret',
      properties: { SecretName: azure.secretName },
    });

    this.reactive = new ReactiveFunction(this, 'Aks', {
      entry: 'lambdas/aks/handler.ts',
      description:
        'drpilot aks: delivers the signed AWS-to-AKS events from the outbox, reports the resolver addresses',
      functionName: names.function(config, 'aks'),
      config,
      alarmTopic: props.notificationTopic,
      encryptionKey: props.encryptionKey,
      timeout: Duration.minutes(2),
      // The every-minute flush and one more run (a person's ping, the 15-minute check). Overlapping
      // runs are harmless: an event sent twice is answered 409 and counted delivered.
      reservedConcurrency: 2,
      maxEventAge: Duration.minutes(10),
    });
    this.reactive.fn.node.addDependency(this.secret);
    props.stateTable.grantReadWriteData(this.reactive.role);
    grantReadWebhookSecret(this.reactive, config);
    grantReadResolverEndpoints(this.reactive, config);
    grantPublishAksProblems(this.reactive);
    // The active side comes from the main record.
    this.reactive.addToRolePolicy(readZoneStatement(this, config, 'ReadTheMainRecord'));

    const target = (input: object) =>
      new targets.LambdaFunction(this.reactive.fn, {
        event: events.RuleTargetInput.fromObject(input),
      });
    this.flush = new events.Rule(this, 'Flush', {
      description: `drpilot ${config.name}: deliver pending AWS-to-AKS events, every minute`,
      schedule: events.Schedule.rate(Duration.minutes(1)),
      targets: [target(FLUSH_INPUT)],
    });
    this.resolverIps = new events.Rule(this, 'ResolverIps', {
      description: `drpilot ${config.name}: the active side's resolver addresses, every 15 minutes`,
      schedule: events.Schedule.rate(Duration.minutes(15)),
      targets: [target(RESOLVER_IPS_INPUT)],
    });

    this.problemAlarms = {
      unauthorized: this.problemAlarm(
        'unauthorized',
        `The AKS side answers 401 to signed events: the secret ${azure.secretName} differs from the Function app's (Key Vault). Events are held, not retried blindly; fix the secret, then run drpilot notify --test.`,
      ),
      'no-attached-resolver-ips': this.problemAlarm(
        'no-attached-resolver-ips',
        "The active side's Route 53 Resolver inbound endpoint has no ATTACHED address: resolver.ips is not sent and AKS keeps forwarding to the last set. See drpilot status.",
      ),
    };
    // A problem and its end both page.
    const pager = Pager.of(this, {
      config,
      topic: props.notificationTopic,
      encryptionKey: props.encryptionKey,
    });
    for (const alarm of Object.values(this.problemAlarms)) {
      pager.pageOnAlarm(alarm, { alsoWhenOk: true });
    }
  }

  /**
   * Lets another control-stack function (the DNS function, which already writes the state table)
   * send events and read the resolver endpoints. Its 401s and refusals reach the alarms through
   * the stored state, which this function's every-minute run publishes.
   */
  grantSender(reactive: ReactiveFunction): void {
    grantReadWebhookSecret(reactive, this.config);
    grantReadResolverEndpoints(reactive, this.config);
  }

  private problemAlarm(problem: AksProblem, description: string): cloudwatch.Alarm {
    const alarm = new cloudwatch.Alarm(this, `Problem-${problem}`, {
      alarmName: names.alarm(this.config, `aks-${problem}`),
      alarmDescription: description,
      metric: new cloudwatch.Metric({
        namespace: METRICS_NAMESPACE,
        metricName: AKS_PROBLEM_METRIC,
        dimensionsMap: { Problem: problem },
        statistic: cloudwatch.Stats.MAXIMUM,
        period: Duration.minutes(1),
      }),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      // The flush publishes every minute; a function that stops running has its own alarm.
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    return alarm;
  }
}
