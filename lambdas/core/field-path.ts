/** "nodeGroups[0].ladder" from ["nodeGroups", 0, "ladder"]; an empty path is named by `root`. */
export function formatPath(path: readonly PropertyKey[], root: string): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? String(part) : `.${String(part)}`;
  }
  return out === '' ? root : out;
}
