/**
 * The names a restore drill gives what it creates in the DR cluster, all derived from the drill's
 * id, so a run (and anyone reading the cluster) can tell its objects from everyone else's.
 */

/** The label every object a drill restores carries (added by its resource modifier). */
export const DRILL_LABEL = 'drpilot.io/drill';

/** A drill id: short enough to fit into namespace names, lower-case (a DNS label's alphabet). */
export const DRILL_ID = /^[a-z0-9]{4,12}$/;

/** A Kubernetes namespace name: a DNS label (RFC 1123), at most 63 characters. */
export const NAMESPACE_NAME = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
export const NAMESPACE_NAME_MAX_LENGTH = 63;

export const restoreName = (drillId: string) => `drpilot-drill-${drillId}`;

/** The ConfigMap in the Velero namespace that holds the drill's resource-modifier rules. */
export const modifierConfigMapName = (drillId: string) => `drpilot-drill-${drillId}-modifiers`;

/** The ConfigMap's one key (Velero reads the only entry, whatever its name). */
export const MODIFIER_KEY = 'resource-modifiers.yaml';

/**
 * `<source>-drill-<id>`; a source name too long for that keeps its first characters (a trailing
 * `-` dropped) so the result is still a DNS label of at most 63 characters.
 */
export function scratchNamespace(source: string, drillId: string): string {
  const suffix = `-drill-${drillId}`;
  const room = NAMESPACE_NAME_MAX_LENGTH - suffix.length;
  return `${source.slice(0, room).replace(/-+$/, '')}${suffix}`;
}
