import { DRPILOT_KEY_PREFIX } from './coredns-render';
import { mergeCustomData } from './custom-configmap';

/**
 * The last good entries: drpilot's `drpilot.*` entries of coredns-custom as they were the last time
 * CoreDNS was Available with them, kept in an annotation on the ConfigMap itself so that whatever
 * runs the next reconcile (another instance, after a crash) puts back the same thing.
 *
 * - On a write, the annotation keeps what it holds; with no (readable) annotation yet, the entries
 *   in place before drpilot's first write are the last good ones — the cluster was running on them.
 * - Once CoreDNS is Available with the new entries, the annotation is set to them.
 * - When CoreDNS does not become Available, the entries are replaced by the annotation's.
 */
export const LAST_GOOD_ANNOTATION = 'drpilot/last-good-entries';
/** When the last good entries were confirmed (ISO 8601), beside them. */
export const LAST_GOOD_AT_ANNOTATION = 'drpilot/last-good-at';

/** A ConfigMap's data and annotations: the part of it drpilot reads and changes. */
export interface CustomConfigMapView {
  data: Record<string, string>;
  annotations: Record<string, string>;
}

export function drpilotEntries(data: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(data).filter(([key]) => key.startsWith(DRPILOT_KEY_PREFIX)),
  );
}

/** The annotation's entries; undefined when it is absent or not what drpilot writes there. */
export function decodeLastGood(text: string | undefined): Record<string, string> | undefined {
  if (text === undefined) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const entries = Object.entries(value as Record<string, unknown>);
  const valid = entries.every(
    ([key, text]) => key.startsWith(DRPILOT_KEY_PREFIX) && typeof text === 'string',
  );
  return valid ? Object.fromEntries(entries as [string, string][]) : undefined;
}

export function encodeLastGood(entries: Readonly<Record<string, string>>): string {
  return JSON.stringify(
    Object.fromEntries(Object.entries(entries).sort(([a], [b]) => (a < b ? -1 : 1))),
  );
}

/** What to put back if the change does not come up: the annotation, else today's entries. */
export function lastGoodOf(current: CustomConfigMapView): Record<string, string> {
  return decodeLastGood(current.annotations[LAST_GOOD_ANNOTATION]) ?? drpilotEntries(current.data);
}

/** The ConfigMap with drpilot's entries replaced by `entries`, the last good ones recorded. */
export function withNewEntries(
  current: CustomConfigMapView,
  entries: Readonly<Record<string, string>>,
): CustomConfigMapView {
  return {
    data: mergeCustomData(current.data, entries),
    annotations: {
      ...current.annotations,
      [LAST_GOOD_ANNOTATION]: encodeLastGood(lastGoodOf(current)),
    },
  };
}

/** The ConfigMap once CoreDNS is Available with `entries`: they become the last good ones. */
export function withConfirmedEntries(
  current: CustomConfigMapView,
  entries: Readonly<Record<string, string>>,
  at: Date,
): CustomConfigMapView {
  return {
    data: current.data,
    annotations: {
      ...current.annotations,
      [LAST_GOOD_ANNOTATION]: encodeLastGood(entries),
      [LAST_GOOD_AT_ANNOTATION]: at.toISOString(),
    },
  };
}

/** The ConfigMap with drpilot's entries put back to the last good ones; others' entries as now. */
export function withLastGoodBack(
  current: CustomConfigMapView,
  lastGood: Readonly<Record<string, string>>,
): CustomConfigMapView {
  return { data: mergeCustomData(current.data, lastGood), annotations: current.annotations };
}

export function sameEntries(
  a: Readonly<Record<string, string>>,
  b: Readonly<Record<string, string>>,
): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((key) => a[key] === b[key]);
}
