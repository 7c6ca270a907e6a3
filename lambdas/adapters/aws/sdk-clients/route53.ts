import { Route53Client } from '@aws-sdk/client-route-53';
import { clientFor } from './cache';

/** Route 53 is global; its API is signed for us-east-1 whatever region is given. */
export const route53Client = (region = 'us-east-1') => clientFor(Route53Client, region);
