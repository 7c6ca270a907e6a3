import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { DrpilotConfig } from '../lambdas/core/config/schema';

/**
 * How a drpilot queue is encrypted under `config.encryption`: SQS-managed SSE (no key to pay for,
 * no KMS requests; EventBridge and Lambda destinations can send to it without a key policy,
 * https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-server-side-encryption.html),
 * or the stack's customer managed key. cdk-nag's AwsSolutions-SQS2 accepts either.
 */
export function queueEncryption(
  config: Pick<DrpilotConfig, 'encryption'>,
  key: kms.IKey,
): Pick<sqs.QueueProps, 'encryption' | 'encryptionMasterKey'> {
  return config.encryption === 'customer-managed'
    ? { encryption: sqs.QueueEncryption.KMS, encryptionMasterKey: key }
    : { encryption: sqs.QueueEncryption.SQS_MANAGED };
}

/**
 * How the state table is encrypted under `config.encryption`: the DynamoDB AWS owned key (always
 * on, free, no KMS requests: https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/EncryptionAtRest.html),
 * or the control stack's customer managed key.
 */
export function tableEncryption(
  config: Pick<DrpilotConfig, 'encryption'>,
  key: kms.IKey,
): Pick<dynamodb.TableProps, 'encryption' | 'encryptionKey'> {
  return config.encryption === 'customer-managed'
    ? { encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED, encryptionKey: key }
    : { encryption: dynamodb.TableEncryption.DEFAULT };
}

export interface EncryptionKeyProps {
  readonly alias: string;
  readonly description: string;
}

/**
 * drpilot's customer-managed key for one stack: its notification topic always (CloudWatch alarms
 * publish to an encrypted topic only under a customer managed key whose policy lets
 * cloudwatch.amazonaws.com use it:
 * https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#compatibility-with-aws-services),
 * and the state table and queues when `encryption` is `customer-managed`. Rotated yearly and
 * retained on stack deletion: a retained state table encrypted with it would be unreadable without it.
 */
export class EncryptionKey extends Construct {
  readonly key: kms.Key;

  constructor(scope: Construct, id: string, props: EncryptionKeyProps) {
    super(scope, id);
    this.key = new kms.Key(this, 'Key', {
      alias: props.alias,
      description: props.description,
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
  }

  /**
   * A CloudWatch alarm publishes to a KMS-encrypted topic as cloudwatch.amazonaws.com, which needs
   * the key policy to let it use the key; without this the alarm fires and nobody hears it.
   */
  allowAlarmNotifications(): void {
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowCloudWatchAlarmsToPublishToEncryptedTopics',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
      }),
    );
  }
}
