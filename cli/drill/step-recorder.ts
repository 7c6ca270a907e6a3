import type { DrillStep } from './drill-result';

/**
 * Runs drill steps in order and records each one's timing and verdict. A step passes by
 * returning its detail and fails by throwing; after a failure the remaining steps are skipped,
 * since each builds on the estate the previous ones left.
 */
export class StepRecorder {
  readonly steps: DrillStep[] = [];

  constructor(private readonly onProgress: (message: string) => void) {}

  get ok(): boolean {
    return this.steps.every((s) => s.ok);
  }

  /** `setup`: a step that prepares the drill (emulators, seeding), shown apart from the measured ones. */
  async run(
    name: string,
    action: () => Promise<string>,
    options: { setup?: boolean } = {},
  ): Promise<boolean> {
    if (!this.ok) return false;
    this.onProgress(name);
    const startedAt = new Date().toISOString();
    const phase = options.setup ? { phase: 'setup' as const } : {};
    try {
      const detail = await action();
      this.steps.push({
        name,
        ok: true,
        startedAt,
        endedAt: new Date().toISOString(),
        detail,
        ...phase,
      });
      return true;
    } catch (error) {
      const detail = error instanceof Error ? error.message : String(error);
      this.steps.push({
        name,
        ok: false,
        startedAt,
        endedAt: new Date().toISOString(),
        detail,
        ...phase,
      });
      return false;
    }
  }

  /** A step that does not run here; the detail says why. It fails nothing. */
  skip(name: string, why: string): void {
    if (!this.ok) return;
    this.onProgress(`${name}: skipped`);
    const now = new Date().toISOString();
    this.steps.push({ name, ok: true, skipped: true, startedAt: now, endedAt: now, detail: why });
  }

  /** A step timed elsewhere (a part of a step that already ran), recorded as it was measured. */
  record(step: DrillStep): void {
    this.steps.push(step);
  }
}
