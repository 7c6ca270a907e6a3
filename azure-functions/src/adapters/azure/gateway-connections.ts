import {
  NetworkManagementClient,
  type NetworkManagementClientOptionalParams,
} from '@azure/arm-network';
import { DefaultAzureCredential, type TokenCredential } from '@azure/identity';
import type { ArmResourceId } from '../../core/arm-ids';
import type { AzureConnectionView } from '../../core/tunnel-health';

/** What this needs of NetworkManagementClient (Virtual Network Gateway Connections - Get). */
export interface GatewayConnectionGetter {
  virtualNetworkGatewayConnections: {
    get(
      resourceGroupName: string,
      name: string,
    ): Promise<{
      connectionStatus?: string;
      tunnelConnectionStatus?: {
        tunnel?: string;
        connectionStatus?: string;
        lastConnectionEstablishedUtcTime?: string;
      }[];
    }>;
  };
}

export interface ReadConnectionsOptions {
  /** A client per subscription (the settings may name connections in several). */
  clientFor: (subscriptionId: string) => GatewayConnectionGetter;
  now: () => Date;
  /** The views the last run stored: a connection ARM asked us to leave alone is not asked yet. */
  previous: Readonly<Record<string, AzureConnectionView>>;
  /** How long this run may wait, in all, for a 429's Retry-After before leaving it to a later run. */
  waitBudgetMs: number;
  sleep?: (ms: number) => Promise<void>;
}

export interface ReadConnectionsResult {
  /** By `<resource group>/<name>` (desired-state.ts `azureConnections`). */
  views: Record<string, AzureConnectionView>;
  /** One line per connection that could not be read (its tunnels count as unknown). */
  problems: string[];
}

/** The key a connection's view is stored under. */
export function connectionKey(id: ArmResourceId): string {
  return `${id.resourceGroup}/${id.name}`;
}

/**
 * Reads each configured virtual network gateway connection (GET
 * …/providers/Microsoft.Network/connections/{name}, "Virtual Network Gateway Connections - Get",
 * https://learn.microsoft.com/rest/api/network-gateway/virtual-network-gateway-connections/get):
 * its `connectionStatus` and per-tunnel `tunnelConnectionStatus`. It decides nothing: a connection
 * that cannot be read (404, 403, 429, anything else) gets a view with `error` set, which
 * core/tunnel-health.ts counts as unknown, never as down.
 *
 * 429: ARM's answer carries `Retry-After`, the seconds to wait, and "if you send a request before
 * the retry value has elapsed, your request isn't processed and a new retry value is returned"
 * (https://learn.microsoft.com/azure/azure-resource-manager/management/request-limits-and-throttling).
 * So a wait that fits the run's budget is waited here and the read tried again; a longer one is
 * stored as `retryAt`, and runs before that time do not ask at all.
 */
export async function readGatewayConnections(
  ids: readonly ArmResourceId[],
  options: ReadConnectionsOptions,
): Promise<ReadConnectionsResult> {
  const sleep = options.sleep ?? ((ms: number) => new Promise((r) => setTimeout(r, ms)));
  let budgetMs = options.waitBudgetMs;
  const views: Record<string, AzureConnectionView> = {};
  const problems: string[] = [];
  for (const id of ids) {
    const key = connectionKey(id);
    const held = options.previous[key]?.retryAt;
    if (held && Date.parse(held) > options.now().getTime()) {
      const error = `throttled by ARM (429): not asked again before ${held}`;
      views[key] = unread(options.now(), error, held);
      problems.push(`${key}: ${error}`);
      continue;
    }
    const client = options.clientFor(id.subscriptionId);
    for (;;) {
      try {
        const connection = await client.virtualNetworkGatewayConnections.get(
          id.resourceGroup,
          id.name,
        );
        views[key] = {
          connectionStatus: connection.connectionStatus ?? null,
          tunnels: (connection.tunnelConnectionStatus ?? []).map((tunnel, i) => ({
            name: tunnel.tunnel ?? `tunnel ${i + 1}`,
            status: tunnel.connectionStatus ?? 'Unknown',
            lastConnectedAt: tunnel.lastConnectionEstablishedUtcTime ?? null,
          })),
          observedAt: options.now().toISOString(),
          error: null,
        };
        break;
      } catch (error) {
        const status = statusOf(error);
        if (status === 429) {
          const waitMs = retryAfterMs(error, options.now());
          if (waitMs <= budgetMs) {
            budgetMs -= waitMs;
            await sleep(waitMs);
            continue;
          }
          const retryAt = new Date(options.now().getTime() + waitMs).toISOString();
          const why = `throttled by ARM (429): Retry-After ${Math.ceil(waitMs / 1000)} s, not asked again before ${retryAt}`;
          views[key] = unread(options.now(), why, retryAt);
          problems.push(`${key}: ${why}`);
          break;
        }
        const why = describeError(status, error);
        views[key] = unread(options.now(), why, null);
        problems.push(`${key}: ${why}`);
        break;
      }
    }
  }
  return { views, problems };
}

function unread(now: Date, error: string, retryAt: string | null): AzureConnectionView {
  return {
    connectionStatus: null,
    tunnels: [],
    observedAt: now.toISOString(),
    error,
    ...(retryAt ? { retryAt } : {}),
  };
}

function describeError(status: number | undefined, error: unknown): string {
  const message = (error as Error).message?.split('\n')[0] ?? String(error);
  if (status === 404) return `not found (404): ${message}`;
  if (status === 403) {
    return `forbidden (403): the app's identity needs Microsoft.Network/connections/read on it (Reader): ${message}`;
  }
  return `${status ? `ARM answered ${status}` : 'no answer from ARM'}: ${message}`;
}

/** `Retry-After` as seconds or an HTTP date; without one, a minute (the next run). */
function retryAfterMs(error: unknown, now: Date): number {
  const headers = (error as { response?: { headers?: { get(name: string): string | undefined } } })
    .response?.headers;
  const raw = headers?.get('retry-after')?.trim();
  if (raw && /^\d+$/.test(raw)) return Number(raw) * 1000;
  const date = raw ? Date.parse(raw) : NaN;
  if (!Number.isNaN(date)) return Math.max(0, date - now.getTime());
  return 60_000;
}

/** The HTTP status of an SDK RestError (duck-typed: several copies of core-rest-pipeline coexist). */
function statusOf(error: unknown): number | undefined {
  const status = (error as { statusCode?: unknown } | null)?.statusCode;
  return typeof status === 'number' ? status : undefined;
}

/**
 * Clients reached with DefaultAzureCredential (the app's managed identity in Azure). The SDK's own
 * retries are off (`maxRetries: 0`): its throttling policy would wait out any Retry-After, however
 * long, inside the one-minute timer; readGatewayConnections decides instead. Tests hand in a
 * static credential and the `endpoint` (and `tlsOptions`) of a local ARM fake.
 */
export function armGatewayConnections(
  options: { credential?: TokenCredential; client?: NetworkManagementClientOptionalParams } = {},
): (subscriptionId: string) => GatewayConnectionGetter {
  const credential = options.credential ?? new DefaultAzureCredential();
  const clients = new Map<string, NetworkManagementClient>();
  return (subscriptionId) => {
    let client = clients.get(subscriptionId);
    if (!client) {
      client = new NetworkManagementClient(credential, subscriptionId, {
        ...options.client,
        retryOptions: { maxRetries: 0, ...options.client?.retryOptions },
      });
      clients.set(subscriptionId, client);
    }
    return client;
  };
}
