/**
 * The inbound endpoint addresses an embedded drill chose (each drill takes a free loopback block,
 * cli/embedded/seed-aks.ts), read from its "attach the AKS side" step, as regex-escaped strings.
 */
export function drillResolverIpsOf(steps: { name: string; detail: string }[]): {
  primary: [string, string];
  dr: [string, string];
} {
  const attach = steps.find((s) => s.name.startsWith('attach the AKS side'));
  const found = /\(ATTACHED ([\d.]+), ([\d.]+) \/ ([\d.]+), ([\d.]+)\)/.exec(attach?.detail ?? '');
  if (!found) throw new Error(`no ATTACHED addresses in: ${attach?.detail ?? 'no attach step'}`);
  const escape = (ip: string | undefined) => (ip ?? '').replaceAll('.', '\\.');
  return {
    primary: [escape(found[1]), escape(found[2])],
    dr: [escape(found[3]), escape(found[4])],
  };
}
