import { LambdaClient } from '@aws-sdk/client-lambda';
import { clientFor } from './cache';

export const lambdaClient = (region: string) => clientFor(LambdaClient, region);
