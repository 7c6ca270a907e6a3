import { Stack } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct, type IConstruct } from 'constructs';

/** The AWS managed key of SNS: free, and its key policy is AWS's (nobody can widen it). */
export const SNS_AWS_MANAGED_KEY_ALIAS = 'alias/aws/sns';

/**
 * The resource findings cdk-nag reports (AwsSolutions-IAM5) for a grant on `topic`'s key: none for
 * a key of the stack (its ARN), key/* in the stack's region for the AWS managed key (CDK grants on
 * a key imported by alias so, limited by kms:ResourceAliases).
 */
export function topicKeyGrantFindings(scope: IConstruct, topic: sns.ITopic): string[] {
  if (topic.masterKey === undefined || topic.masterKey instanceof kms.Key) return [];
  const keys = Stack.of(scope).formatArn({ service: 'kms', resource: 'key', resourceName: '*' });
  return [`Resource::${keys}`];
}

export interface NotificationTopicProps {
  readonly topicName: string;
  readonly displayName: string;
  /**
   * The stack's customer managed key under `encryption: "customer-managed"`; without one the topic
   * is under the AWS managed key alias/aws/sns.
   */
  readonly key?: kms.IKey;
}

/**
 * Where drpilot's pages and reports land: KMS-encrypted, TLS-only publishing. Only functions
 * publish to it (alarms page through lib/pager.ts), so the AWS managed key serves: its key policy
 * lets every principal of the account use it through SNS, and a publisher needs sns:Publish and
 * the key's kms:GenerateDataKey* and kms:Decrypt ("Configuring AWS KMS permissions",
 * https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html), which CDK's grantPublish
 * adds for the key (for the imported alias: key/* where kms:ResourceAliases is alias/aws/sns).
 */
export class NotificationTopic extends Construct {
  readonly topic: sns.Topic;

  constructor(scope: Construct, id: string, props: NotificationTopicProps) {
    super(scope, id);
    this.topic = new sns.Topic(this, 'Topic', {
      topicName: props.topicName,
      displayName: props.displayName,
      masterKey:
        props.key ?? kms.Alias.fromAliasName(this, 'AwsManagedKey', SNS_AWS_MANAGED_KEY_ALIAS),
      enforceSSL: true,
    });
  }
}
