import { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import { clientFor } from './cache';

export const autoScalingClient = (region: string) => clientFor(AutoScalingClient, region);
