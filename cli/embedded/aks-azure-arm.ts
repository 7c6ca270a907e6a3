import type { TokenCredential } from '@azure/identity';
import { armForwardingRuleset } from '../../azure-functions/src/adapters/azure/forwarding-ruleset';
import { armGatewayConnections } from '../../azure-functions/src/adapters/azure/gateway-connections';
import type { ArmResourceId } from '../../azure-functions/src/core/arm-ids';
import type { ForwardingRuleset } from '../../azure-functions/src/core/forwarding-rules-plan';
import {
  ConnectionArmFake,
  type FakeTunnelStatus,
} from '../emulator/connection-arm-fake-status-404-429';
import { RulesetArmFake, type FakeRule } from '../emulator/ruleset-arm-fake-etag-412-404-429';

/**
 * The Azure Resource Manager the embedded drill's Function app talks to: no emulator exists for
 * ARM, so the two stateful fakes the Function app's tests use — a DNS forwarding ruleset (etag →
 * 412, 404, 429) linked to the cluster's VNet and holding another team's rule, and the VPN's
 * gateway connection, whose tunnels the drill flips — reached by the real @azure/arm-dnsresolver
 * and @azure/arm-network clients with a static token.
 */
export interface DrillAzureArm {
  rulesetId: string;
  vnetId: string;
  connectionId: string;
  ruleset: RulesetArmFake;
  connections: ConnectionArmFake;
  /** The rule another team keeps in the ruleset, as seeded (drpilot must never touch it). */
  foreignRule: FakeRule;
  /** The Function app's settings that name these resources. */
  settings: {
    DRPILOT_FORWARDING_RULESET_ID: string;
    DRPILOT_AKS_VNET_ID: string;
    DRPILOT_VPN_CONNECTION_IDS: string;
  };
  /** `dnsReconcileHandler`'s seam: the ruleset through the fake. */
  rulesetFor: (ruleset: ArmResourceId) => ForwardingRuleset;
  /** `tunnelHealthHandler`'s seam: the connections through the fake. */
  clientFor: ReturnType<typeof armGatewayConnections>;
  /** Both tunnels of the connection, as Azure reports them. */
  setTunnels(status: FakeTunnelStatus): void;
  close(): Promise<void>;
}

const SUBSCRIPTION = '00000000-0000-4000-8000-00000000d111';
const RG = `/subscriptions/${SUBSCRIPTION}/resourceGroups`;

/** Not a secret: the fakes only check that a bearer token is sent. */
const DRILL_TOKEN: TokenCredential = {
  getToken: async () => ({ token: 'drill-arm-token', expiresOnTimestamp: Date.now() + 3_600_000 }),
};

export async function startDrillAzureArm(options: {
  /** The VPN's two tunnels (AWS's outside IPs), named as Azure names them. */
  tunnels: readonly [string, string];
}): Promise<DrillAzureArm> {
  const ruleset = await RulesetArmFake.start();
  let connections: ConnectionArmFake;
  try {
    connections = await ConnectionArmFake.start();
  } catch (error) {
    await ruleset.close();
    throw error;
  }
  const rulesetId = `${RG}/rg-dns/providers/Microsoft.Network/dnsForwardingRulesets/drill-ruleset`;
  const vnetId = `${RG}/rg-aks/providers/Microsoft.Network/virtualNetworks/aks-vnet`;
  const connectionId = `${RG}/rg-vpn/providers/Microsoft.Network/connections/drill-to-aws`;
  ruleset.addRuleset(rulesetId);
  ruleset.linkVnet(rulesetId, 'aks-vnet-link', vnetId);
  const foreignRule = ruleset.putRule(rulesetId, {
    name: 'onprem-corp',
    domainName: 'corp.onprem.example.',
    targetDnsServers: [{ ipAddress: '10.99.0.53', port: 53 }],
    metadata: { owner: 'network-team' },
    forwardingRuleState: 'Enabled',
  });
  const setTunnels = (status: FakeTunnelStatus) =>
    connections.set(connectionId, {
      tunnels: options.tunnels.map((tunnel) => ({ tunnel, connectionStatus: status })),
    });
  setTunnels('Connected');
  return {
    rulesetId,
    vnetId,
    connectionId,
    ruleset,
    connections,
    foreignRule,
    settings: {
      DRPILOT_FORWARDING_RULESET_ID: rulesetId,
      DRPILOT_AKS_VNET_ID: vnetId,
      DRPILOT_VPN_CONNECTION_IDS: connectionId,
    },
    rulesetFor: (id) =>
      armForwardingRuleset(id, {
        credential: DRILL_TOKEN,
        client: { endpoint: ruleset.endpoint, tlsOptions: { ca: ruleset.caPem } },
      }),
    clientFor: armGatewayConnections({
      credential: DRILL_TOKEN,
      client: { endpoint: connections.endpoint, tlsOptions: { ca: connections.caPem } },
    }),
    setTunnels,
    async close() {
      await connections.close();
      await ruleset.close();
    },
  };
}
