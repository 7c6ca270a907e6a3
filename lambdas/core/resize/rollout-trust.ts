/**
 * A rollout's state travels through Step Functions between the resize function's steps
 * (Advance → Wait → Advance … → Finish). Anyone allowed to invoke the function can send one, so a
 * state is a claim: it is accepted only when it is well formed and matches the lease the rollout
 * holds in the state table — same fencing token, same holder, and the holder names this rollout
 * (the execution is named after the rollout id). Anything else is rejected before any write: no
 * cooldown, no audit entry claiming a result, no page. Pure: the handler reads the lease.
 */
import en from 'zod/v4/locales/en.js';
import * as z from 'zod/mini';
import { INSTANCE_TYPE, NODE_GROUP_ID } from '../config/patterns';
import { formatPath } from '../field-path';
import { resizeScope } from '../shared-names';
import { NODE_PHASES } from './node-steps';

export const ROLLOUT_MARKER = 'drpilotRollout';

/** The lease holder of a rollout: what started it, then the rollout id the execution is named after. */
export const rolloutHolder = (trigger: string, rolloutId: string) => `${trigger}#${rolloutId}`;

const NODE_OUTCOMES = [
  'resized',
  'restored',
  'blocked',
  'stranded',
  'refused',
  'interrupted',
  'not-started',
] as const;

const text = (max: number, ...more: z.core.$ZodCheck<string>[]) =>
  z.string().check(z.maxLength(max), ...more);
const instanceType = text(32, z.regex(INSTANCE_TYPE));
const count = (min: number, max?: number) =>
  max === undefined ? z.int().check(z.gte(min)) : z.int().check(z.gte(min), z.lte(max));

const nodeStep = z.object({
  phase: z.enum(NODE_PHASES),
  toward: z.enum(['to', 'from']),
  since: z.iso.datetime(),
  alreadyCordoned: z.boolean(),
  cause: z.nullable(text(8192)),
});

const rolloutNode = z.looseObject({
  id: text(64, z.minLength(1)),
  from: instanceType,
  to: instanceType,
  outcome: z.enum(NODE_OUTCOMES),
  detail: text(8192),
  privateDnsName: z.nullable(text(255)),
  tags: z.record(text(128), text(256)),
  resume: z.optional(z.nullable(nodeStep)),
});

const lease = z.object({
  name: text(128),
  holder: text(2048),
  token: text(64, z.minLength(1)),
  expiresAtMs: z.number(),
});

const plan = z.looseObject({
  kind: z.literal('resize'),
  group: z.string().check(z.regex(NODE_GROUP_ID)),
  direction: z.enum(['up', 'down']),
  from: z.looseObject({
    types: z.array(instanceType).check(z.maxLength(64)),
    capacity: z.number(),
  }),
  to: z.looseObject({ type: instanceType, capacity: z.number() }),
  nodes: z.array(z.unknown()).check(z.maxLength(1000)),
  reason: text(4096),
});

const template = z.looseObject({
  target: z.looseObject({ kind: z.enum(['asg', 'eks-managed']) }),
  handle: z.nullable(z.looseObject({ operationId: text(256), newVersion: z.int() })),
  status: z.enum(['not-started', 'in-progress', 'succeeded', 'failed', 'rolled-back']),
  detail: text(8192),
});

const hold = z.object({
  by: text(256),
  reason: text(4096),
  since: text(64),
  until: text(64),
  stopped: z.boolean(),
  detail: text(8192),
});

const rolloutStateSchema = z.object({
  [ROLLOUT_MARKER]: z.literal(1),
  id: text(80, z.regex(/^[a-z0-9][a-z0-9-]*$/, { error: 'expected a rollout id' })),
  groupId: z.string().check(z.regex(NODE_GROUP_ID, { error: 'expected a node group id' })),
  trigger: text(2048),
  lease,
  startedAt: text(64),
  plan,
  p95Percent: z.nullable(z.number()),
  nodes: z.array(rolloutNode).check(z.maxLength(1000)),
  next: count(0),
  step: z.optional(z.nullable(nodeStep)),
  template: z.nullable(template),
  done: z.boolean(),
  waitSeconds: count(0, 86400),
  poll: z.optional(z.object({ count: count(0), max: count(1, 100_000) })),
  held: z.optional(z.nullable(hold)),
  // Step Functions' Catch puts { Error, Cause } here; a Cause can be a long stack: kept, clipped when shown.
  error: z.optional(z.object({ Error: z.optional(z.string()), Cause: z.optional(z.string()) })),
});

/** zod/mini loads no locale: English, as full zod says it, for the issues a rejection lists. */
const englishMessages = en().localeError;

export type CheckedRolloutState = z.infer<typeof rolloutStateSchema>;

export type RolloutStateCheck =
  | { ok: true; state: CheckedRolloutState }
  | { ok: false; issues: { path: string; message: string }[] };

/** Whether an invocation carries a rollout state at all (then it is checked, never parsed as a trigger). */
export function looksLikeRolloutState(value: unknown): boolean {
  return typeof value === 'object' && value !== null && ROLLOUT_MARKER in value;
}

export function checkRolloutShape(value: unknown): RolloutStateCheck {
  const result = rolloutStateSchema.safeParse(value, { error: englishMessages });
  if (result.success) {
    const state = result.data;
    if (state.plan.group !== state.groupId) {
      return {
        ok: false,
        issues: [{ path: 'plan.group', message: 'names another group than groupId' }],
      };
    }
    if (state.lease.name !== resizeScope(state.groupId)) {
      return {
        ok: false,
        issues: [{ path: 'lease.name', message: `is not the lease of ${state.groupId}` }],
      };
    }
    return { ok: true, state };
  }
  return {
    ok: false,
    issues: result.error.issues.slice(0, 10).map((issue) => ({
      path: formatPath(issue.path, '(root)'),
      message: issue.message,
    })),
  };
}

export interface HeldLease {
  holder: string;
  token: string;
  expiresAtMs: number;
}

/**
 * Whether the lease in the state table (read just now, consistently) is this rollout's. Expiry
 * is not judged here: a renewal fails on an expired lease by itself, and the last step (Finish)
 * must still run for a rollout whose lease lapsed while nobody else took it.
 */
export function judgeRolloutLease(
  state: Pick<CheckedRolloutState, 'id' | 'groupId' | 'lease'>,
  held: HeldLease | null,
): { ok: true } | { ok: false; reason: string } {
  const scope = resizeScope(state.groupId);
  if (!held) return { ok: false, reason: `no rollout of ${state.groupId} holds ${scope}` };
  if (held.token !== state.lease.token) {
    return { ok: false, reason: `the fencing token does not match the lease ${scope} holds` };
  }
  if (held.holder !== state.lease.holder || !held.holder.endsWith(`#${state.id}`)) {
    return { ok: false, reason: `${scope} is held for another rollout than ${state.id}` };
  }
  return { ok: true };
}
