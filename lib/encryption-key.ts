import { RemovalPolicy } from 'aws-cdk-lib';
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
  key: kms.IKey | undefined,
): Pick<sqs.QueueProps, 'encryption' | 'encryptionMasterKey'> {
  return config.encryption === 'customer-managed'
    ? { encryption: sqs.QueueEncryption.KMS, encryptionMasterKey: customerKey(config, key) }
    : { encryption: sqs.QueueEncryption.SQS_MANAGED };
}

/**
 * How the state table is encrypted under `config.encryption`: the DynamoDB AWS owned key (always
 * on, free, no KMS requests: https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/EncryptionAtRest.html),
 * or the control stack's customer managed key.
 */
export function tableEncryption(
  config: Pick<DrpilotConfig, 'encryption'>,
  key: kms.IKey | undefined,
): Pick<dynamodb.TableProps, 'encryption' | 'encryptionKey'> {
  return config.encryption === 'customer-managed'
    ? {
        encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED,
        encryptionKey: customerKey(config, key),
      }
    : { encryption: dynamodb.TableEncryption.DEFAULT };
}

function customerKey(config: Pick<DrpilotConfig, 'encryption'>, key: kms.IKey | undefined) {
  if (!key) {
    throw new Error(
      `encryption is "${config.encryption}" but the stack made no customer managed key (EncryptionKey.forConfig)`,
    );
  }
  return key;
}

export interface EncryptionKeyProps {
  readonly alias: string;
  readonly description: string;
}

/**
 * drpilot's customer managed key for one stack, made only under `encryption: "customer-managed"`:
 * the state table, the queues and the notification topic use it. Under the default
 * ("service-managed") no stack has one: the queues use SQS-managed SSE, the table the DynamoDB
 * AWS owned key and the topic the AWS managed key alias/aws/sns (NotificationTopic); alarms page
 * through EventBridge (lib/pager.ts), so no key policy has to let CloudWatch in. Rotated yearly
 * and retained on stack deletion: a retained state table encrypted with it would be unreadable
 * without it.
 */
export class EncryptionKey extends Construct {
  readonly key: kms.Key;

  /** The stack's key when `config.encryption` is `customer-managed`, else undefined. */
  static forConfig(
    scope: Construct,
    id: string,
    config: Pick<DrpilotConfig, 'encryption'>,
    props: EncryptionKeyProps,
  ): EncryptionKey | undefined {
    return config.encryption === 'customer-managed'
      ? new EncryptionKey(scope, id, props)
      : undefined;
  }

  constructor(scope: Construct, id: string, props: EncryptionKeyProps) {
    super(scope, id);
    this.key = new kms.Key(this, 'Key', {
      alias: props.alias,
      description: props.description,
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
  }
}
