import type { DrpilotConfig, Side } from '../../../lambdas/core/config/schema';
import { SIDES } from '../../../lambdas/core/config/schema';
import type { Resolver } from '../../../lambdas/adapters/tls/tls-probe';
import { issueValidCertificate, type DrillCa } from './drill-certificates';
import {
  localResolver,
  startTlsEndpoint,
  type LocalTlsEndpoint,
  type TlsEndpointOptions,
} from './local-tls-endpoint';

export interface ClusterEndpoints {
  endpoints: Record<Side, LocalTlsEndpoint>;
  /** Sends each cluster's endpoint name to its local server. */
  resolver: Resolver;
  close(): Promise<void>;
}

/**
 * Both clusters' ingress as local TLS servers on 127.0.0.1, each with a drill-CA certificate as
 * cert-manager issues it when the Ingress lists the main name too (seed 002): the endpoint's own
 * name plus the main and drill names. `certificates` replaces a side's certificate (a bad one).
 */
export async function serveClusterEndpoints(
  config: DrpilotConfig,
  ca: DrillCa,
  certificates: Partial<Record<Side, () => Promise<TlsEndpointOptions>>> = {},
): Promise<ClusterEndpoints> {
  const endpoints = {} as Record<Side, LocalTlsEndpoint>;
  const close = () =>
    Promise.all(Object.values(endpoints).map((e) => e.close())).then(() => undefined);
  try {
    for (const side of SIDES) {
      const certificate =
        (await certificates[side]?.()) ??
        (await issueValidCertificate(ca, [
          config.clusters[side].endpoint,
          config.dns.recordName,
          config.dns.drillRecordName,
        ]));
      endpoints[side] = await startTlsEndpoint(certificate);
    }
  } catch (error) {
    await close();
    throw error;
  }
  const resolver = localResolver(
    Object.fromEntries(
      SIDES.map((side) => [
        config.clusters[side].endpoint,
        { host: endpoints[side].host, port: endpoints[side].port },
      ]),
    ),
  );
  return { endpoints, resolver, close };
}
