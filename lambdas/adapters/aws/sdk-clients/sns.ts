import { SNSClient } from '@aws-sdk/client-sns';
import { clientFor } from './cache';

export const snsClient = (region: string) => clientFor(SNSClient, region);
