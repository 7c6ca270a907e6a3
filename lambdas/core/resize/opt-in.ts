/**
 * The tag a group's owner sets to let drpilot change it. drpilot touches no other group, so a
 * Terraform or eksctl apply that reverts drpilot's launch-template versions is a choice the owner
 * made knowingly.
 */
export const OPT_IN_TAG = { key: 'drpilot:managed', value: 'true' } as const;

export function hasOptIn(tags: Readonly<Record<string, string>>): boolean {
  return tags[OPT_IN_TAG.key] === OPT_IN_TAG.value;
}
