/** Median and range of a figure over the rounds. */
export interface Summary {
  median: number;
  min: number;
  max: number;
}

/** Summarises the values of several rounds. */
export function summarize(values: number[]): Summary {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
  return { median, min: sorted[0] ?? NaN, max: sorted[sorted.length - 1] ?? NaN };
}

/** The p-th percentile (0–100) of samples. */
export function percentile(samples: number[], p: number): number {
  if (samples.length === 0) return NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] as number;
}

/** "median (min–max)" with a unit-appropriate precision. */
export function formatSummary(summary: Summary, digits = 0): string {
  const f = (value: number) => value.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });
  return `${f(summary.median)} (${f(summary.min)}–${f(summary.max)})`;
}
