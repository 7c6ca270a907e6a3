import type {
  ClusterApplyOutcome,
  ClusterDns,
  ClusterDnsSnapshot,
} from '../../azure-functions/src/core/cluster-dns';
import { DRPILOT_KEY_PREFIX } from '../../azure-functions/src/core/coredns-render';
import { aksStyleCorefile, startCoreDns, type CoreDnsRun } from '../emulator/coredns';

/**
 * An AKS cluster's DNS without a Kubernetes API, behind the Function app's `ClusterDns` port:
 * coredns-custom is a map of files (resourceVersion-checked like the ConfigMap), and "restart and
 * wait until Available" is, with a CoreDNS binary, starting real CoreDNS on AKS's default Corefile
 * and those files (Available = it loaded; otherwise the previous files go back, as the Kubernetes
 * adapter puts back the last good entries) — or, without one, nothing at all (every change counts
 * as Available: the report must say so). Not the Kubernetes adapter: that one runs against the
 * real kube-apiserver (`aks-coredns-k8s.ts`).
 */
export class InMemoryClusterDns implements ClusterDns {
  private files: Record<string, string>;
  private version = 1;
  private running: CoreDnsRun | undefined;
  /** Writes that were taken (including rolled-back ones). */
  applies = 0;

  constructor(
    private readonly coredns: { binary: string; azureDns: string } | null,
    initial: Record<string, string> = {},
  ) {
    this.files = { ...initial };
  }

  /** Where the running CoreDNS answers (only with a CoreDNS binary, after a first apply). */
  get port(): number | undefined {
    return this.running?.port;
  }

  /** coredns-custom's data as it stands. */
  data(): Record<string, string> {
    return { ...this.files };
  }

  async read(): Promise<ClusterDnsSnapshot> {
    const entries: Record<string, string> = {};
    const others: Record<string, string> = {};
    for (const [key, text] of Object.entries(this.files)) {
      (key.startsWith(DRPILOT_KEY_PREFIX) ? entries : others)[key] = text;
    }
    return { entries, others, version: String(this.version) };
  }

  async apply(entries: Record<string, string>, basedOn: string): Promise<ClusterApplyOutcome> {
    if (basedOn !== String(this.version)) return { outcome: 'conflict' };
    this.applies++;
    const previous = this.files;
    const kept = Object.entries(previous).filter(([key]) => !key.startsWith(DRPILOT_KEY_PREFIX));
    this.files = { ...Object.fromEntries(kept), ...entries };
    this.version++;
    if (await this.restart()) return { outcome: 'applied' };
    this.files = previous;
    this.version++;
    await this.restart();
    return { outcome: 'rolled-back', detail: 'CoreDNS did not load the new entries' };
  }

  async stop(): Promise<void> {
    await this.running?.stop();
    this.running = undefined;
  }

  private async restart(): Promise<boolean> {
    if (!this.coredns) return true;
    await this.stop();
    const started = await startCoreDns(aksStyleCorefile(this.coredns.azureDns), this.files, {
      binary: this.coredns.binary,
    });
    if (started.loaded) this.running = started.run;
    return started.loaded;
  }
}
