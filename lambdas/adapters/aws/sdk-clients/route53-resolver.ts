import { Route53ResolverClient } from '@aws-sdk/client-route53resolver';
import { clientFor } from './cache';

/**
 * Route 53 Resolver is regional (each side's inbound endpoint lives in its cluster's region). Its
 * package is pinned to an older release than the other clients (the newest one the registry
 * serves); it reads AWS_ENDPOINT_URL_ROUTE53RESOLVER and AWS_ENDPOINT_URL the same way. In a
 * Lambda bundle it uses the other clients' credential chain (esbuildAlias, lib/lambda-bundling.ts).
 */
export const route53ResolverClient = (region: string) => clientFor(Route53ResolverClient, region);
