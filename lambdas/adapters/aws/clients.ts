import type { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { EC2Client } from '@aws-sdk/client-ec2';
import type { LambdaClient } from '@aws-sdk/client-lambda';
import type { Route53Client } from '@aws-sdk/client-route-53';
import type { S3Client } from '@aws-sdk/client-s3';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { SNSClient } from '@aws-sdk/client-sns';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { cloudWatchClient } from './sdk-clients/cloudwatch';
import { dynamoDbClient, dynamoDbDocumentClient } from './sdk-clients/dynamodb';
import { ec2Client } from './sdk-clients/ec2';
import { lambdaClient } from './sdk-clients/lambda';
import { route53Client } from './sdk-clients/route53';
import { s3Client } from './sdk-clients/s3';
import { secretsManagerClient } from './sdk-clients/secrets-manager';
import { snsClient } from './sdk-clients/sns';

/*
 * Every AWS SDK client drpilot makes, in one import: for tests and benches, which use many
 * services. This module loads all twelve SDK packages, so code in a Lambda or behind a CLI
 * command imports the service's own module in ./sdk-clients/ (ec2, s3, …; the shared config and
 * cache in ./sdk-clients/cache) and loads only the packages whose commands it sends. The
 * import-boundaries lint rule (eslint-rules/layers.js) keeps lambdas/ and cli/ off this module.
 */

export * from './sdk-clients/cache';
export * from './sdk-clients/auto-scaling';
export * from './sdk-clients/cloudwatch';
export * from './sdk-clients/dynamodb';
export * from './sdk-clients/ec2';
export * from './sdk-clients/eks';
export * from './sdk-clients/lambda';
export * from './sdk-clients/route53';
export * from './sdk-clients/route53-resolver';
export * from './sdk-clients/s3';
export * from './sdk-clients/secrets-manager';
export * from './sdk-clients/sfn';
export * from './sdk-clients/sns';

export interface AwsClients {
  readonly ec2: EC2Client;
  readonly route53: Route53Client;
  readonly cloudWatch: CloudWatchClient;
  readonly s3: S3Client;
  readonly dynamoDb: DynamoDBClient;
  readonly dynamoDbDocument: DynamoDBDocumentClient;
  readonly sns: SNSClient;
  readonly secretsManager: SecretsManagerClient;
  readonly lambda: LambdaClient;
}

/** Every client of one region, each made on first use. Bundles all SDK packages: not for Lambdas. */
export function awsClients(region: string): AwsClients {
  return {
    get ec2() {
      return ec2Client(region);
    },
    get route53() {
      return route53Client();
    },
    get cloudWatch() {
      return cloudWatchClient(region);
    },
    get s3() {
      return s3Client(region);
    },
    get dynamoDb() {
      return dynamoDbClient(region);
    },
    get dynamoDbDocument() {
      return dynamoDbDocumentClient(region);
    },
    get sns() {
      return snsClient(region);
    },
    get secretsManager() {
      return secretsManagerClient(region);
    },
    get lambda() {
      return lambdaClient(region);
    },
  };
}
