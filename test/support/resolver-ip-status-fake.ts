import type { ListResolverEndpointIpAddressesCommandOutput } from '@aws-sdk/client-route53resolver';
import { route53ResolverClient } from '../../lambdas/adapters/aws/clients';

/**
 * Route 53 Resolver reports a Status per inbound endpoint address — CREATING, ATTACHING,
 * ATTACHED, DETACHING, … (API Reference, "IpAddressResponse") — and only an ATTACHED one answers
 * queries. moto reports every address ATTACHED. This fake gives the named addresses another
 * status in ListResolverEndpointIpAddresses answers of `region`'s client, as an endpoint whose
 * subnets are being changed would; everything else is moto's answer.
 */
export function resolverAddressesNotAttached(
  region: string,
  statuses: Record<string, string>,
): void {
  route53ResolverClient(region).middlewareStack.add(
    (next, context) => async (args) => {
      const result = await next(args);
      if (context.commandName === 'ListResolverEndpointIpAddressesCommand') {
        const output = result.output as ListResolverEndpointIpAddressesCommandOutput;
        for (const address of output.IpAddresses ?? []) {
          const status = address.Ip ? statuses[address.Ip] : undefined;
          if (status) address.Status = status as typeof address.Status;
        }
      }
      return result;
    },
    { step: 'deserialize', name: 'resolverAddressesNotAttached' },
  );
}
