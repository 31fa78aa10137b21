import type { Redis } from "ioredis";
import { Counter, Gauge, type Registry } from "prom-client";
import type { FunctionManifest } from "../functions/manifest.ts";
import { collectStatus, type FunctionStatus } from "../status/collect-status.ts";
import { DURATION_STATUSES, EVENT_STATUSES } from "./metrics-hash.ts";
import { readJobMetrics } from "./read-job-metrics.ts";
import { SnapshotHistogram } from "./snapshot-histogram.ts";

/** Options of {@link PrometheusExporter}. */
export interface PrometheusExporterOptions {
  /** The registry to register on; injected so tests and processes never share prom-client's global one. */
  registry: Registry;
  /** Connection the scrape reads through; owned by the caller. */
  redis: Redis;
  manifest: FunctionManifest;
  keyPrefix: string;
}

/** Prefix of every metric name. */
export const METRIC_PREFIX = "backend_workers_";

/** The gauges read at scrape time, by metric name suffix: help text and how to read them. */
const GAUGES: { name: string; help: string; read(status: FunctionStatus): number }[] = [
  { name: "backlog", help: "Jobs in the stream not yet delivered to any worker (consumer group lag).", read: (s) => s.backlog },
  { name: "oldest_waiting_age_seconds", help: "Age of the oldest job not yet delivered to a worker.", read: (s) => s.oldestWaitingAgeMs / 1000 },
  { name: "pending", help: "Jobs delivered to a worker and not yet settled (running, or left by a dead worker).", read: (s) => s.pending },
  { name: "oldest_pending_age_seconds", help: "Age of the oldest pending job (the oldest one, not the newest).", read: (s) => s.oldestPendingAgeMs / 1000 },
  { name: "dead_letters", help: "Jobs in the dead-letter stream.", read: (s) => s.deadLetters },
  { name: "delayed", help: "Jobs waiting for a retry or a delayed start.", read: (s) => s.delayed },
  { name: "consumers", help: "Consumers known to the function's consumer group (dead ones included until cleaned up).", read: (s) => s.consumers },
  { name: "workers_alive", help: "Workers holding a live name lease.", read: (s) => s.workersAlive },
];

/**
 * The `/metrics` document. Counters and the duration histogram are the cluster-wide sums the
 * {@link MetricsRecorder}s of every process wrote to Redis; gauges are read from the streams at
 * scrape time (two pipelined round trips for the gauges, one for the counters, run concurrently).
 * prom-client renders the text format. Concurrent scrapes share one read, so a scrape storm costs
 * Redis no more than one scrape.
 */
export class PrometheusExporter {
  readonly #o: PrometheusExporterOptions;
  readonly #events: Counter<"function" | "status">;
  readonly #duration: SnapshotHistogram;
  readonly #gauges: { gauge: Gauge<"function">; read(status: FunctionStatus): number }[];
  #scraping: Promise<string> | undefined;

  constructor(options: PrometheusExporterOptions) {
    this.#o = options;
    const registers = [options.registry];
    this.#events = new Counter({
      name: `${METRIC_PREFIX}queue_events_total`,
      help: "Job events per function: enqueued, dequeued (settled), done, retried, dead_lettered, timed_out (also counted as retried or dead_lettered). Summed over every process.",
      labelNames: ["function", "status"],
      registers,
    });
    this.#duration = new SnapshotHistogram(
      `${METRIC_PREFIX}job_duration_seconds`,
      "How long each job ran, as its function measured it (the batch's wall time when a function does not report it), per function and outcome. Summed over every process.",
    );
    options.registry.registerMetric(this.#duration.asMetric());
    this.#gauges = GAUGES.map(({ name, help, read }) => ({
      gauge: new Gauge({ name: `${METRIC_PREFIX}${name}`, help, labelNames: ["function"], registers }),
      read,
    }));
  }

  /** The Content-Type of {@link scrape}'s text. */
  get contentType(): string {
    return this.#o.registry.contentType;
  }

  /** Reads Redis and renders every metric; rejects when Redis cannot be read. */
  scrape(): Promise<string> {
    this.#scraping ??= this.#scrape().finally(() => (this.#scraping = undefined));
    return this.#scraping;
  }

  async #scrape(): Promise<string> {
    const { redis, manifest, keyPrefix, registry } = this.#o;
    const types = manifest.functions.map((fn) => fn.type);
    const [status, metrics] = await Promise.all([collectStatus(redis, manifest, keyPrefix), readJobMetrics(redis, keyPrefix, types)]);
    // Set every series from this one read, then render without awaiting anything else, so two
    // reads can never interleave inside one document.
    this.#events.reset();
    const series = [];
    for (const [type, values] of metrics) {
      for (const eventStatus of EVENT_STATUSES) this.#events.inc({ function: type, status: eventStatus }, values.events[eventStatus]);
      for (const durationStatus of DURATION_STATUSES) series.push({ labels: { function: type, status: durationStatus }, histogram: values.durations[durationStatus] });
    }
    this.#duration.set(series);
    for (const { gauge, read } of this.#gauges) {
      gauge.reset();
      for (const fn of status.functions) gauge.set({ function: fn.type }, read(fn));
    }
    return registry.metrics();
  }
}
