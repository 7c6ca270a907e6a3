import { ArnFormat, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { DrpilotConfig } from '../lambdas/core/config/schema';
import { SIDES } from '../lambdas/core/config/schema';
import { METRICS_NAMESPACE } from '../lambdas/core/metric-names';
import { names } from './names';
import { acknowledge } from './nag';
import type { ReactiveFunction } from './reactive-function';

/**
 * The webhook secret's ARN pattern: Secrets Manager appends `-` and 6 random characters to a
 * secret's name, so a grant written before the secret exists ends in `-??????`.
 */
export function webhookSecretArn(stack: Stack, config: DrpilotConfig): string {
  if (!config.azure) throw new Error('azure is not configured');
  return stack.formatArn({
    service: 'secretsmanager',
    region: config.controlRegion,
    resource: 'secret',
    resourceName: `${config.azure.secretName}-??????`,
    arnFormat: ArnFormat.COLON_RESOURCE_NAME,
  });
}

/**
 * What every function that tells the AKS side needs, from any region: the outbox in the state
 * table (and the control key, by alias), the one webhook secret (read only), and PutMetricData
 * for the 401 alarm (namespace drpilot only). The POST itself goes to the internet: no grant.
 */
export function grantAksSender(reactive: ReactiveFunction, config: DrpilotConfig): void {
  const stack = Stack.of(reactive);
  const control = (service: string, resource: string, resourceName: string) =>
    stack.formatArn({ service, region: config.controlRegion, resource, resourceName });
  reactive.addToRolePolicy(
    new iam.PolicyStatement({
      sid: 'AksOutbox',
      actions: [
        'dynamodb:GetItem',
        'dynamodb:PutItem',
        'dynamodb:UpdateItem',
        'dynamodb:DeleteItem',
        'dynamodb:Query',
      ],
      resources: [control('dynamodb', 'table', config.stateTable)],
    }),
  );
  const controlKeys = control('kms', 'key', '*');
  reactive.addToRolePolicy(
    new iam.PolicyStatement({
      sid: 'AksOutboxKey',
      actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
      resources: [controlKeys],
      conditions: {
        'ForAnyValue:StringEquals': { 'kms:ResourceAliases': names.controlKeyAlias(config) },
      },
    }),
  );
  const secret = webhookSecretArn(stack, config);
  reactive.addToRolePolicy(
    new iam.PolicyStatement({
      sid: 'ReadTheWebhookSecret',
      actions: ['secretsmanager:GetSecretValue'],
      resources: [secret],
    }),
  );
  reactive.allowOnAnyResource('PublishAksProblems', {
    actions: ['cloudwatch:PutMetricData'],
    reason:
      'cloudwatch:PutMetricData supports no resource-level permissions; limited to the drpilot namespace by cloudwatch:namespace.',
    conditions: { StringEquals: { 'cloudwatch:namespace': METRICS_NAMESPACE } },
  });
  acknowledge(reactive.role, [
    {
      rule: 'AwsSolutions-IAM5',
      reason:
        "The control region's key is created in another stack (or this one); it is addressed by its alias (kms:ResourceAliases condition), so the resource is key/* in that region.",
      appliesTo: [`Resource::${controlKeys}`],
    },
  ]);
}

/**
 * ListResolverEndpointIpAddresses on the two inbound endpoints the config names, each in its
 * side's region (the resolver-endpoint resource type).
 */
export function grantReadResolverEndpoints(
  reactive: ReactiveFunction,
  config: DrpilotConfig,
): void {
  const azure = config.azure;
  if (!azure) return;
  const stack = Stack.of(reactive);
  reactive.addToRolePolicy(
    new iam.PolicyStatement({
      sid: 'ReadTheInboundEndpoints',
      actions: ['route53resolver:ListResolverEndpointIpAddresses'],
      resources: SIDES.map((side) =>
        stack.formatArn({
          service: 'route53resolver',
          region: config.clusters[side].region,
          resource: 'resolver-endpoint',
          resourceName: azure.resolverEndpoints[side],
        }),
      ),
    }),
  );
}
