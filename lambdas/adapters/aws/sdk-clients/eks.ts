import { EKSClient } from '@aws-sdk/client-eks';
import { clientFor } from './cache';

export const eksClient = (region: string) => clientFor(EKSClient, region);
