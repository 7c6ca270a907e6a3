/**
 * Which namespaces a backup holds, from its `<name>-resource-list.json.gz` (the body, unzipped).
 *
 * Velero writes that file for every backup (`backups/<name>/<name>-resource-list.json.gz`,
 * pkg/persistence/object_store_layout.go) from `backedUpItemsMap.ResourceMap()`
 * (pkg/backup/backed_up_items_map.go): a JSON object whose keys are group/version/kind
 * (`apps/v1/Deployment`, `v1/Namespace`) and whose values are sorted item names, `<namespace>/<name>`
 * for namespaced items and `<name>` for cluster-scoped ones — the list `velero backup describe
 * --details` prints. A backup whose spec says `includedNamespaces: ["*"]` names no namespace in
 * its json, so this file is where the restore drill learns what to map. Pure.
 */

export type ResourceListReading =
  { ok: true; namespaces: string[]; items: number } | { ok: false; reason: string };

const NAMESPACE_KIND = 'v1/Namespace';

export function namespacesOfResourceList(text: string): ResourceListReading {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    return { ok: false, reason: `the resource list is not JSON: ${(error as Error).message}` };
  }
  // An empty backup's list is `{}`; Go encodes a nil map as `null`.
  if (parsed === null) return { ok: true, namespaces: [], items: 0 };
  if (typeof parsed !== 'object' || Array.isArray(parsed)) {
    return { ok: false, reason: 'the resource list is not a JSON object of kind → names' };
  }
  const namespaces = new Set<string>();
  let items = 0;
  for (const [kind, names] of Object.entries(parsed as Record<string, unknown>)) {
    if (!Array.isArray(names) || names.some((n) => typeof n !== 'string')) {
      return { ok: false, reason: `the resource list's ${kind} is not a list of names` };
    }
    for (const name of names as string[]) {
      items++;
      const slash = name.indexOf('/');
      if (slash > 0) namespaces.add(name.slice(0, slash));
      else if (kind === NAMESPACE_KIND) namespaces.add(name);
    }
  }
  return { ok: true, namespaces: [...namespaces].sort(), items };
}
