export interface StepResult {
  name: string;
  ok: boolean;
  seconds: number;
  /** The lines of the step's output that named a failed test, ANSI removed, at most 20. */
  failures: string[];
}
export declare function runSteps(
  steps: ReadonlyArray<readonly [string, string]>,
  options?: { log?: (line: string) => void; stdio?: 'inherit' | 'ignore' },
): Promise<StepResult[]>;
export declare function summary(results: readonly StepResult[]): string;
