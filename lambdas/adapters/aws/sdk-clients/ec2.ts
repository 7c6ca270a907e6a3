import { EC2Client } from '@aws-sdk/client-ec2';
import { clientFor } from './cache';

export const ec2Client = (region: string) => clientFor(EC2Client, region);
