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

  async run(name: string, action: () => Promise<string>): Promise<boolean> {
    if (!this.ok) return false;
    this.onProgress(name);
    const startedAt = new Date().toISOString();
    try {
      const detail = await action();
      this.steps.push({ name, ok: true, startedAt, endedAt: new Date().toISOString(), detail });
      return true;
    } catch (error) {
      const detail = error instanceof Error ? error.message : String(error);
      this.steps.push({ name, ok: false, startedAt, endedAt: new Date().toISOString(), detail });
      return false;
    }
  }
}
