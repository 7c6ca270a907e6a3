import type { ClusterDns, ClusterDnsSnapshot } from '../../src/core/cluster-dns';
import { DRPILOT_KEY_PREFIX } from '../../src/core/coredns-render';
import { aksStyleCorefile } from '../fixtures/aks-default-corefile';
import { startCoreDns, type CoreDnsRun } from './coredns';

/**
 * A test-world stand-in for the cluster behind the ClusterDns port: coredns-custom is a map of
 * files beside an AKS-style Corefile, "restart" starts real CoreDNS on them again, and "Available"
 * means it loaded. Not the Kubernetes adapter (that comes with the real API server); it lets the
 * reconcile's whole path end in a real CoreDNS answering a real query.
 */
export class LocalCoreDnsCluster implements ClusterDns {
  private files: Record<string, string> = {};
  private version = 1;
  private running: CoreDnsRun | undefined;
  applies = 0;

  constructor(private readonly azureDns: string) {}

  get port(): number | undefined {
    return this.running?.port;
  }

  async read(): Promise<ClusterDnsSnapshot> {
    const entries: Record<string, string> = {};
    const others: Record<string, string> = {};
    for (const [key, text] of Object.entries(this.files)) {
      (key.startsWith(DRPILOT_KEY_PREFIX) ? entries : others)[key] = text;
    }
    return { entries, others, version: String(this.version) };
  }

  async apply(entries: Record<string, string>, basedOn: string) {
    if (basedOn !== String(this.version)) return { outcome: 'conflict' as const };
    this.applies++;
    const previous = this.files;
    const kept = Object.entries(previous).filter(([key]) => !key.startsWith(DRPILOT_KEY_PREFIX));
    this.files = { ...Object.fromEntries(kept), ...entries };
    this.version++;
    if (await this.restart()) return { outcome: 'applied' as const };
    this.files = previous;
    this.version++;
    await this.restart();
    return { outcome: 'rolled-back' as const, detail: 'CoreDNS did not load the new entries' };
  }

  async stop(): Promise<void> {
    await this.running?.stop();
    this.running = undefined;
  }

  private async restart(): Promise<boolean> {
    await this.stop();
    const started = await startCoreDns(aksStyleCorefile(this.azureDns), this.files);
    if (started.loaded) this.running = started.run;
    return started.loaded;
  }
}
