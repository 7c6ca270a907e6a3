import type { Side } from './config/schema';

/** Names of the records jobs keep in the state table between runs. */
export const stateKeys = {
  /** Backups and repository objects re-sync saw gone from the source, and since when. */
  veleroMissingSince: (targetBucket: string) => `velero-missing#${targetBucket}`,
  /** The RPO the side can restore, as the last re-sync into it measured. */
  veleroRpo: (side: Side) => `velero-rpo#${side}`,
  /** The last completed re-sync into a bucket (see SyncSnapshot). */
  veleroSnapshot: (targetBucket: string) => `velero-sync#${targetBucket}`,
  /** Per schedule, the newest backup a restore drill verified in the DR cluster. */
  restoreVerified: () => 'restore-verified#dr',
  /** When a record last moved primary → dr: a failback needs a backup completed after it. */
  dnsLastFailover: (recordName: string) => `dns-last-failover#${recordName}`,
  /** The lease and cooldown scope of one record. */
  dnsRecord: (recordName: string) => `dns#${recordName}`,
};
