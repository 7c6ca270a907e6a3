import { SFNClient } from '@aws-sdk/client-sfn';
import { clientFor } from './cache';

export const sfnClient = (region: string) => clientFor(SFNClient, region);
