/** The two AWS sides of the estate; apart from the schema so a Lambda bundle need not load zod. */
export const SIDES = ['primary', 'dr'] as const;
export type Side = (typeof SIDES)[number];
