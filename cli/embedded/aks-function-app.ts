import type { ClusterDns } from '../../azure-functions/src/core/cluster-dns';
import type { QueuedReconcile } from '../../azure-functions/src/reconcile/in-process';
import { startAzurite } from '../emulator/azurite';
import type { DrillAzureArm } from './aks-azure-arm';
import type { FunctionAppBackend, HandlerAnswer } from './aks-receiver';

/**
 * The AKS side's Function app (azure-functions/) run in this process for the embedded drill: its
 * own `events` and `state` handlers, called with an HttpRequest/InvocationContext as the Functions
 * host calls them, over Table Storage and the reconcile queue in Azurite; and what the queue
 * trigger does — each queued message runs one `dnsReconcile` into the drill's cluster.
 */
export interface EmbeddedFunctionApp extends FunctionAppBackend {
  /** `Azurite 3.35.0 (in memory)`. */
  storage: string;
  /** The app settings it runs with (the secret left out). */
  settings: Record<string, string>;
  /** The `dnsReconcile` queue trigger: every queued message, oldest first, into `clusterDns`. */
  reconcileQueued(clusterDns: ClusterDns): Promise<QueuedReconcile[]>;
  /**
   * The same queue through the registered `dnsReconcile` handler with
   * DRPILOT_DNS_MODE=private-resolver: every queued message into the ARM fake's ruleset.
   */
  reconcileQueuedInRuleset(): Promise<QueuedReconcile[]>;
  /** The 5-minute `dnsReconcileTimer` once: it queues a reconcile. */
  runReconcileTimer(): Promise<void>;
  /** The 1-minute `tunnelHealth` timer once, reading the ARM fake's gateway connection; its log. */
  runTunnelHealth(): Promise<string[]>;
  /** Stops Azurite and puts the process environment back. */
  close(): Promise<void>;
}

/** The Function app's settings, as app settings (here: this process's environment). */
const SETTING_NAMES = [
  'AzureWebJobsStorage',
  'DRPILOT_WEBHOOK_SECRET',
  'DRPILOT_MAIN_RECORD',
  'DRPILOT_DNS_TTL',
  'DRPILOT_FORWARDING_RULESET_ID',
  'DRPILOT_AKS_VNET_ID',
  'DRPILOT_VPN_CONNECTION_IDS',
  'DRPILOT_DNS_MODE',
] as const;

/**
 * Outside the Functions host, @azure/functions says on loading that it runs in test mode and skips
 * registering the functions: expected here, where the handlers are called directly.
 */
const TEST_MODE_WARNINGS = [
  'WARNING: Failed to detect the Azure Functions runtime.',
  'WARNING: Skipping call to register function',
];

async function loadInProcess() {
  const warn = console.warn;
  console.warn = (...args: unknown[]) => {
    const first = typeof args[0] === 'string' ? args[0] : '';
    if (!TEST_MODE_WARNINGS.some((prefix) => first.startsWith(prefix))) warn(...args);
  };
  try {
    return await import('../../azure-functions/src/reconcile/in-process');
  } finally {
    console.warn = warn;
  }
}

export async function startEmbeddedFunctionApp(options: {
  /** DRPILOT_WEBHOOK_SECRET: the same value as the AWS side's secret. */
  secret: string;
  /** DRPILOT_MAIN_RECORD: only a dns.failover of this record moves the active side. */
  mainRecord: string;
  /** DRPILOT_DNS_TTL: dns.ttl. */
  dnsTtl: number;
  /** The ruleset and the gateway connection its private-resolver mode and tunnelHealth read. */
  arm?: DrillAzureArm;
}): Promise<EmbeddedFunctionApp> {
  const inProcess = await loadInProcess();
  const azurite = await startAzurite();
  const saved = Object.fromEntries(SETTING_NAMES.map((name) => [name, process.env[name]]));
  // DRPILOT_DNS_MODE stays coredns (unset) but while reconcileQueuedInRuleset runs.
  const settings: Partial<Record<(typeof SETTING_NAMES)[number], string>> = {
    AzureWebJobsStorage: azurite.connectionString,
    DRPILOT_WEBHOOK_SECRET: options.secret,
    DRPILOT_MAIN_RECORD: options.mainRecord,
    DRPILOT_DNS_TTL: String(options.dnsTtl),
    ...options.arm?.settings,
  };
  Reflect.deleteProperty(process.env, 'DRPILOT_DNS_MODE');
  Object.assign(process.env, settings);
  const arm = () => {
    if (!options.arm) throw new Error('the embedded Function app was started without an ARM fake');
    return options.arm;
  };
  let closed = false;
  return {
    storage: azurite.description,
    settings: {
      AzureWebJobsStorage: `Azurite (${azurite.description})`,
      DRPILOT_MAIN_RECORD: options.mainRecord,
      DRPILOT_DNS_TTL: String(options.dnsTtl),
      ...options.arm?.settings,
    },
    async events(request): Promise<HandlerAnswer> {
      const [answer] = await inProcess.deliverToEventsHandler([
        { method: 'POST', headers: request.headers, body: request.body },
      ]);
      if (!answer) throw new Error('the events handler gave no answer');
      return { status: answer.status, body: answer.body };
    },
    async state(request): Promise<HandlerAnswer> {
      return inProcess.readStateThroughHandler({ headers: request.headers, body: '' });
    },
    reconcileQueued: (clusterDns) =>
      inProcess.runQueuedReconciles({ clusterDns }, { cacheSeconds: options.dnsTtl }),
    async reconcileQueuedInRuleset() {
      process.env.DRPILOT_DNS_MODE = 'private-resolver';
      try {
        return await inProcess.runQueuedThroughDnsReconcile({ rulesetFor: arm().rulesetFor });
      } finally {
        Reflect.deleteProperty(process.env, 'DRPILOT_DNS_MODE');
      }
    },
    async runReconcileTimer() {
      await inProcess.runDnsReconcileTimer();
    },
    runTunnelHealth: () =>
      inProcess.runTunnelHealthTimer({ clientFor: arm().clientFor, waitBudgetMs: 0 }),
    async close() {
      if (closed) return;
      closed = true;
      for (const [name, value] of Object.entries(saved)) {
        if (value === undefined) Reflect.deleteProperty(process.env, name);
        else process.env[name] = value;
      }
      await azurite.stop();
    },
  };
}
