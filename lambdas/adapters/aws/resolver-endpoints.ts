import {
  paginateListResolverEndpointIpAddresses,
  type Route53ResolverClient,
} from '@aws-sdk/client-route53resolver';
import type { ResolverAddress } from '../../core/aks/resolver-ips';

/** Every address of an inbound endpoint with its status (ListResolverEndpointIpAddresses, paginated). */
export async function listResolverEndpointIps(
  resolver: Route53ResolverClient,
  resolverEndpointId: string,
): Promise<ResolverAddress[]> {
  const addresses: ResolverAddress[] = [];
  const pages = paginateListResolverEndpointIpAddresses(
    { client: resolver },
    { ResolverEndpointId: resolverEndpointId, MaxResults: 100 },
  );
  for await (const page of pages) {
    for (const address of page.IpAddresses ?? []) {
      addresses.push({ ip: address.Ip ?? null, status: address.Status ?? 'UNKNOWN' });
    }
  }
  return addresses;
}
