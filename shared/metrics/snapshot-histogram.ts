import type { Metric } from "prom-client";
import { DURATION_BUCKETS_SECONDS, type DurationHistogram } from "./metrics-hash.ts";

type Labels = Record<string, string>;

/** One exported value of a histogram, in prom-client's `get()` shape. */
interface HistogramValue {
  metricName: string;
  labels: Record<string, string | number>;
  value: number;
}

/**
 * A histogram whose series are set from outside (the sums read from Redis) rather than observed
 * in this process. prom-client's `Histogram` can only `observe()` one value at a time, so this
 * object speaks the registry's collection protocol (`name`, `help`, `type`, `aggregator`, `get()`),
 * the same plain-object shape prom-client's own `AggregatorRegistry` registers for metrics
 * aggregated from cluster workers.
 */
export class SnapshotHistogram {
  readonly type = "histogram";
  readonly aggregator = "sum";
  #series: { labels: Labels; histogram: DurationHistogram }[] = [];

  constructor(readonly name: string, readonly help: string) {}

  /** Replaces every series with `series`. */
  set(series: { labels: Labels; histogram: DurationHistogram }[]): void {
    this.#series = series;
  }

  /** Drops every series (prom-client's `Registry.resetMetrics` calls it). */
  reset(): void {
    this.#series = [];
  }

  /** The metric in prom-client's `get()` shape: `_bucket` per bound and `+Inf`, then `_sum` and `_count`. */
  async get(): Promise<{ name: string; help: string; type: string; aggregator: string; values: HistogramValue[] }> {
    const values: HistogramValue[] = [];
    for (const { labels, histogram } of this.#series) {
      DURATION_BUCKETS_SECONDS.forEach((bound, i) => values.push({ metricName: `${this.name}_bucket`, labels: { ...labels, le: bound }, value: histogram.buckets[i] ?? 0 }));
      values.push({ metricName: `${this.name}_bucket`, labels: { ...labels, le: "+Inf" }, value: histogram.count });
      values.push({ metricName: `${this.name}_sum`, labels, value: histogram.sumSeconds });
      values.push({ metricName: `${this.name}_count`, labels, value: histogram.count });
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }

  /** This object as the `Metric` type `Registry.registerMetric` is declared with (it reads only the fields above). */
  asMetric(): Metric {
    return this as unknown as Metric;
  }
}
