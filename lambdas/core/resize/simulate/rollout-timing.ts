/**
 * How long a node is out of service when it changes. A node of the ladder policy moves by drain,
 * stop, type change, start and Ready (DESIGN.md "Node resize"), serving nothing meanwhile; a new
 * node of the horizontal policy launches and boots; a removed one drains.
 *
 * Billing: EC2 bills a running Linux instance per second with a one-minute minimum at every start,
 * and nothing while it is stopped ("When an instance is stopped … you are not billed for instance
 * usage. … Every time you start your instance, Amazon EC2 charges a one-minute minimum for
 * instance usage, and thereafter charges per second" — EC2 API Reference, StartInstances). The
 * simulator counts whole minutes and bills a moving node at the larger of its two types for the
 * whole move: slightly more than AWS charges (the stopped minute is free), the same for every
 * schedule, and so no schedule — not even the oracle's — can save money by moving nodes back and
 * forth just to have them stopped for a minute.
 */

export interface RolloutTiming {
  /** One node of the ladder policy, from cordon to Ready on its new type. */
  moveMinutes: number;
  /** A new node of the horizontal policy, from launch to Ready (billed, serving nothing). */
  launchMinutes: number;
  /** A removed node of the horizontal policy drains this long (billed, serving nothing). */
  drainMinutes: number;
}

/** Typical figures, not measured ones: the executor allows drain, stop, start and Ready 3 minutes each. */
export const DEFAULT_TIMING: RolloutTiming = {
  moveMinutes: 5,
  launchMinutes: 4,
  drainMinutes: 2,
};
