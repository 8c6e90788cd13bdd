export interface StepResult {
  name: string;
  ok: boolean;
  seconds: number;
}
export declare function runSteps(
  steps: ReadonlyArray<readonly [string, string]>,
  options?: { log?: (line: string) => void; stdio?: 'inherit' | 'ignore' },
): StepResult[];
export declare function summary(results: readonly StepResult[]): string;
