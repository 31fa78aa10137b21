/**
 * The statuses of `backend_workers_queue_events_total`, after Tuleap's `queue_events_total`:
 * `enqueued` (published), `dequeued` (settled by a worker, whatever the outcome), then one of
 * `done`, `retried` (back to the delayed set), `dead_lettered`; `timed_out` counts attempts that
 * hit their timeout and so overlaps `retried` / `dead_lettered`.
 */
export const EVENT_STATUSES = ["enqueued", "dequeued", "done", "retried", "dead_lettered", "timed_out"] as const;
/** One status of {@link EVENT_STATUSES}. */
export type EventStatus = (typeof EVENT_STATUSES)[number];

/** The outcomes the duration histogram is split by: every settled job has exactly one. */
export const DURATION_STATUSES = ["done", "retried", "dead_lettered"] as const;
/** One status of {@link DURATION_STATUSES}. */
export type DurationStatus = (typeof DURATION_STATUSES)[number];

/**
 * Upper bounds (seconds) of the duration histogram. Tuleap's went from 0.1 to 120 s; ours starts
 * at 5 ms because a notification batch often settles in a few ms, and ends at 15 min, the longest
 * timeout a function may reasonably have.
 */
export const DURATION_BUCKETS_SECONDS: readonly number[] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 900];

/** The aggregated metrics of one function, read back from its hash. */
export interface JobMetrics {
  events: Record<EventStatus, number>;
  durations: Record<DurationStatus, DurationHistogram>;
}

/** One histogram series: cumulative counts per bound of {@link DURATION_BUCKETS_SECONDS}. */
export interface DurationHistogram {
  /** `buckets[i]` = observations ≤ `DURATION_BUCKETS_SECONDS[i]` (cumulative, as Prometheus wants). */
  buckets: number[];
  count: number;
  sumSeconds: number;
}

/**
 * Field names inside `<prefix>:{<type>}:metrics`, one hash per function (same hash tag as its
 * stream, so a Redis Cluster keeps them together). Bucket fields hold non-cumulative counts, so a
 * recorder increments exactly one of them per observation; they are summed up at read time. The
 * sum is in seconds and is the only float field (HINCRBYFLOAT).
 */
export const metricsField = {
  event: (status: EventStatus): string => `events:${status}`,
  bucket: (status: DurationStatus, bound: number): string => `duration:${status}:le:${bound}`,
  count: (status: DurationStatus): string => `duration:${status}:count`,
  sum: (status: DurationStatus): string => `duration:${status}:sum`,
  isFloat: (field: string): boolean => field.endsWith(":sum"),
};

/** The bound an observation of `seconds` falls into, or undefined when above the last one (+Inf only). */
export function bucketBound(seconds: number): number | undefined {
  return DURATION_BUCKETS_SECONDS[bucketIndex(seconds)];
}

/** The index in {@link DURATION_BUCKETS_SECONDS} of the bound `seconds` falls into, or -1 when above the last one. */
export function bucketIndex(seconds: number): number {
  for (let i = 0; i < DURATION_BUCKETS_SECONDS.length; i++) if (seconds <= (DURATION_BUCKETS_SECONDS[i] as number)) return i;
  return -1;
}

/** Turns the HGETALL reply of a metrics hash into {@link JobMetrics}; missing fields are 0. */
export function parseJobMetrics(hash: Record<string, string>): JobMetrics {
  const number = (field: string): number => {
    const value = Number(hash[field] ?? 0);
    return Number.isFinite(value) ? value : 0;
  };
  const events = Object.fromEntries(EVENT_STATUSES.map((status) => [status, number(metricsField.event(status))])) as Record<EventStatus, number>;
  const durations = Object.fromEntries(
    DURATION_STATUSES.map((status) => {
      let cumulative = 0;
      const buckets = DURATION_BUCKETS_SECONDS.map((bound) => (cumulative += number(metricsField.bucket(status, bound))));
      return [status, { buckets, count: number(metricsField.count(status)), sumSeconds: number(metricsField.sum(status)) }];
    }),
  ) as Record<DurationStatus, DurationHistogram>;
  return { events, durations };
}
