import type { z } from 'zod';
import { formatPath } from '../field-path';
import { crossFieldIssues } from './cross-field-rules';
import { configSchema, type DrpilotConfig } from './schema';

export interface ConfigError {
  path: string;
  message: string;
}

export type ValidationResult =
  { ok: true; config: DrpilotConfig; errors: [] } | { ok: false; errors: ConfigError[] };

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return value.length === 0 ? '[]' : `an array of ${value.length}`;
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'string')
    return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value);
  return String(value);
}

/** Messages for the checks that carry no message of their own in the schema. */
const defaultMessages: z.core.$ZodErrorMap = (issue) => {
  switch (issue.code) {
    case 'invalid_type':
      return issue.input === undefined ? 'required' : `expected ${issue.expected}`;
    case 'too_small':
      return issue.origin === 'array'
        ? `expected at least ${issue.minimum} item(s)`
        : `expected at least ${issue.minimum}`;
    case 'too_big':
      return issue.origin === 'array'
        ? `expected at most ${issue.maximum} item(s)`
        : `expected at most ${issue.maximum}`;
    case 'invalid_value':
      return `expected one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
    default:
      return undefined;
  }
};

function toErrors(issue: z.core.$ZodIssue): ConfigError[] {
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => ({
      path: formatPath([...issue.path, key], '(config)'),
      message: 'unknown field',
    }));
  }
  const hasInput = 'input' in issue && issue.input !== undefined;
  const message =
    hasInput && issue.message.startsWith('expected')
      ? `${issue.message}, got ${describe(issue.input)}`
      : issue.message;
  return [{ path: formatPath(issue.path, '(config)'), message }];
}

/**
 * Validates a parsed config document: the structure first, then (once it holds) the rules that
 * span fields. Pure, so handlers, the CLI and tests share it.
 */
export function validateConfig(input: unknown): ValidationResult {
  const result = configSchema.safeParse(input, { error: defaultMessages, reportInput: true });
  if (!result.success) return { ok: false, errors: result.error.issues.flatMap(toErrors) };
  const crossField = crossFieldIssues(result.data);
  if (crossField.length > 0) {
    return {
      ok: false,
      errors: crossField.map((i) => ({ path: formatPath(i.path, '(config)'), message: i.message })),
    };
  }
  return { ok: true, config: result.data, errors: [] };
}
