import { z } from 'zod';

/**
 * An EKS cluster name, as CreateCluster accepts it. A schema of its own, not in
 * kubernetes-access.ts, which the Lambdas import and which must not load zod.
 */
export const eksClusterName = z
  .string()
  .regex(/^[0-9A-Za-z][A-Za-z0-9\-_]{0,99}$/, { error: 'expected an EKS cluster name' });
