import type * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';

export interface NotificationTopicProps {
  readonly topicName: string;
  readonly displayName: string;
  /** Must let cloudwatch.amazonaws.com use it (EncryptionKey.allowAlarmNotifications). */
  readonly key: kms.IKey;
}

/** Where drpilot's alarms and reports land: KMS-encrypted, TLS-only publishing. */
export class NotificationTopic extends Construct {
  readonly topic: sns.Topic;

  constructor(scope: Construct, id: string, props: NotificationTopicProps) {
    super(scope, id);
    this.topic = new sns.Topic(this, 'Topic', {
      topicName: props.topicName,
      displayName: props.displayName,
      masterKey: props.key,
      enforceSSL: true,
    });
  }
}
