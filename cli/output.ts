import type { CliIo } from './io';

/**
 * Human-readable by default; with --json the result is one JSON document on stdout and
 * everything else (logs, progress) goes to stderr.
 */
export class Output {
  constructor(
    private readonly io: CliIo,
    readonly json: boolean,
  ) {}

  result(value: unknown, human: () => string): void {
    if (this.json) this.io.stdout(`${JSON.stringify(value, null, 2)}\n`);
    else this.io.stdout(`${human()}\n`);
  }

  log(message: string): void {
    this.io.stderr(`${message}\n`);
  }

  progress(message: string): void {
    this.io.stderr(`… ${message}\n`);
  }
}
