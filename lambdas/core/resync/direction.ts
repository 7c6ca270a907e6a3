import type { Side } from '../config/schema';

export type SyncDirection =
  { ok: true; from: Side; to: Side; why: string } | { ok: false; reason: string };

/**
 * Backups flow from the side the main record points at to the other one: primary → DR
 * normally, DR → primary after a failover, so what was written in DR comes home before a
 * failback. Before the record exists (nothing has failed over) the primary is active; a record
 * pointing at neither endpoint leaves the direction unknown, and copying the wrong way would
 * overwrite the newer side, so that is refused.
 */
export function syncDirection(record: {
  exists: boolean;
  activeSide: Side | null;
  target: string | null;
}): SyncDirection {
  if (!record.exists)
    return { ok: true, from: 'primary', to: 'dr', why: 'the main record does not exist yet' };
  if (record.activeSide === 'primary')
    return { ok: true, from: 'primary', to: 'dr', why: 'the main record points at primary' };
  if (record.activeSide === 'dr')
    return {
      ok: true,
      from: 'dr',
      to: 'primary',
      why: 'the main record points at dr (failed over)',
    };
  return {
    ok: false,
    reason: `the main record points at ${record.target ?? 'nothing'}, which is neither cluster's endpoint: the active side is unknown`,
  };
}
