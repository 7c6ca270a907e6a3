import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { clientFor, derivedClientFor } from './cache';

export const dynamoDbClient = (region: string) => clientFor(DynamoDBClient, region);

export const dynamoDbDocumentClient = (region: string): DynamoDBDocumentClient =>
  derivedClientFor('dynamodb-document', region, () =>
    DynamoDBDocumentClient.from(dynamoDbClient(region), {
      marshallOptions: { removeUndefinedValues: true },
    }),
  );
