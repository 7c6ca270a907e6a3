import type { DrpilotConfig } from '../lambdas/core/config/schema';
import {
  parseTriggerEvent,
  TriggerEventError,
  type ManualTrigger,
} from '../lambdas/core/events/trigger-event';
import { assertManualRequestFits } from '../lambdas/core/events/manual-request-rules';
import type { CommandContext } from './command-context';
import { ExitCode } from './exit-codes';
import type { Output } from './output';

/**
 * The command's flags as the manual payload a Lambda would get, checked by the same parser and
 * config rules the handlers apply — before any AWS call. Flags are passed through as given (an
 * empty `--to ''` included), so nothing is silently dropped. On a bad value: a usage error that
 * names it (exit 2), and null.
 */
export function manualRequestOrUsage<A extends string>(
  payload: Record<string, unknown>,
  allowedActions: readonly A[],
  config: DrpilotConfig,
  context: CommandContext,
  output: Output,
): ManualTrigger<A> | null {
  try {
    const trigger = parseTriggerEvent(payload, { allowedActions });
    if (trigger.kind !== 'manual') throw new Error('a CLI request parsed as an alarm');
    assertManualRequestFits(trigger, config);
    return trigger;
  } catch (error) {
    if (!(error instanceof TriggerEventError)) throw error;
    usageError(context, output, String(payload['action']), error.message, error.issues);
    return null;
  }
}

export function usageError(
  context: CommandContext,
  output: Output,
  command: string,
  message: string,
  issues: readonly { path: string; message: string }[] = [],
): void {
  output.result(
    { error: { kind: 'usage', message, issues } },
    () => `drpilot ${command}: ${message}`,
  );
  context.exit(ExitCode.usage);
}
