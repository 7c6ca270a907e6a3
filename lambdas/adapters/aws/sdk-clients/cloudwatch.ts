import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { clientFor } from './cache';

export const cloudWatchClient = (region: string) => clientFor(CloudWatchClient, region);
