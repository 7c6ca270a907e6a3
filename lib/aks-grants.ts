import { ArnFormat, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { DrpilotConfig } from '../lambdas/core/config/schema';
import { SIDES } from '../lambdas/core/config/schema';
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

/** Every function that tells the AKS side reads the one webhook secret (read only). */
export function grantReadWebhookSecret(reactive: ReactiveFunction, config: DrpilotConfig): void {
  reactive.addToRolePolicy(
    new iam.PolicyStatement({
      sid: 'ReadTheWebhookSecret',
      actions: ['secretsmanager:GetSecretValue'],
      resources: [webhookSecretArn(Stack.of(reactive), config)],
    }),
  );
}

/**
 * The outbox in the control region's state table, for a function in a cluster region: the table
 * by name and the control key by its alias (nothing is imported across regions). Control-stack
 * functions get the table construct's own grant instead.
 */
export function grantOutboxFromRegion(reactive: ReactiveFunction, config: DrpilotConfig): void {
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
  acknowledge(reactive.role, [
    {
      rule: 'AwsSolutions-IAM5',
      reason:
        "The control region's key is created in another stack; it is addressed by its alias (kms:ResourceAliases condition), so the resource is key/* in that region.",
      appliesTo: [`Resource::${controlKeys}`],
    },
  ]);
}

/** PutMetricData for the problem metrics the alarms watch (namespace drpilot only). */
export function grantPublishAksProblems(reactive: ReactiveFunction): void {
  reactive.allowPublishMetrics('PublishAksProblems');
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
