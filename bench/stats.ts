/** Small statistics and formatting helpers shared by the benchmarks. */

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Nearest-rank percentile, p in [0, 100]. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const s = [...values].sort((a, b) => a - b);
  const rank = Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1));
  return s[rank]!;
}

export const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;
export const fixed = (n: number, digits = 1) => (Number.isFinite(n) ? n.toFixed(digits) : 'n/a');
export const ratio = (a: number, b: number) => (b > 0 ? a / b : Number.NaN);
export const times = (r: number) => (Number.isFinite(r) ? `${r.toFixed(2)}x` : 'n/a');
export const yesNo = (ok: boolean) => (ok ? 'yes' : '**no**');

/** A goal checked by a benchmark: what was asked, what was measured, whether it holds. */
export interface Goal {
  name: string;
  target: string;
  measured: string;
  met: boolean;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Logs progress to stderr, so stdout stays clean for a caller piping the summary. */
export const progress = (msg: string) => process.stderr.write(`[bench] ${msg}\n`);
