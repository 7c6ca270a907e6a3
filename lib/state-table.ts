import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import type { DrpilotConfig } from '../lambdas/core/config/schema';
import { tableEncryption } from './encryption-key';

export interface StateTableProps {
  readonly tableName: string;
  /** `encryption` picks the AWS owned key or `key`. */
  readonly config: Pick<DrpilotConfig, 'encryption'>;
  readonly key?: kms.IKey;
}

/**
 * Leases, cooldowns and the audit trail. Items are addressed by `pk`/`sk`; leases and cooldowns
 * expire through the `expiresAt` TTL attribute (epoch seconds). Retained and deletion-protected:
 * the audit trail outlives a stack.
 */
export class StateTable extends Construct {
  static readonly PARTITION_KEY = 'pk';
  static readonly SORT_KEY = 'sk';
  static readonly TTL_ATTRIBUTE = 'expiresAt';

  readonly table: dynamodb.Table;

  constructor(scope: Construct, id: string, props: StateTableProps) {
    super(scope, id);
    this.table = new dynamodb.Table(this, 'Table', {
      tableName: props.tableName,
      partitionKey: { name: StateTable.PARTITION_KEY, type: dynamodb.AttributeType.STRING },
      sortKey: { name: StateTable.SORT_KEY, type: dynamodb.AttributeType.STRING },
      timeToLiveAttribute: StateTable.TTL_ATTRIBUTE,
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      ...tableEncryption(props.config, props.key),
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
  }
}
