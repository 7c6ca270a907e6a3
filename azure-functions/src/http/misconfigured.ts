import type { HttpResponseInit, InvocationContext } from '@azure/functions';
import type { SettingsError } from '../settings';

/** A missing or bad app setting: 500, naming the setting (never a value). */
export function misconfigured(error: SettingsError, context: InvocationContext): HttpResponseInit {
  context.error(error.message);
  return { status: 500, jsonBody: { error: 'misconfigured', reason: error.message } };
}
