/** The contract's exit codes: scripts outside the repo rely on them. */
export const ExitCode = {
  done: 0,
  failed: 1,
  usage: 2,
  refused: 3,
} as const;

export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];
