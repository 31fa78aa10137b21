import { setTimeout as sleep } from "node:timers/promises";
import type { Redis } from "ioredis";
import type { Config } from "../../config.ts";
import { resolveRedisUrl } from "../../embedded/resolve-redis-url.ts";
import { errorMessage } from "../../errors.ts";
import type { FunctionManifest } from "../../functions/manifest.ts";
import type { JobMetrics } from "../../metrics/metrics-hash.ts";
import { readJobMetrics } from "../../metrics/read-job-metrics.ts";
import { createRedisConnection } from "../../redis/connection.ts";
import { collectStatus, type StatusDocument } from "../../status/collect-status.ts";
import { ensureBuilt } from "../project.ts";

/** Tuleap's queue check warns past this wait. */
export const OLDEST_PENDING_WARN_MS = 120_000;

/** Options of `status`. */
export interface StatusOptions {
  json?: boolean;
  /** Redraw every `intervalMs` with rates until SIGINT/SIGTERM. */
  watch?: boolean;
  intervalMs?: number;
}

/** Jobs per second of one function between two samples of the metrics counters. */
export interface FunctionRates {
  enqueued: number;
  done: number;
  /** Retried plus dead-lettered. */
  failed: number;
}

/**
 * `status [--json] [--watch]`: the gauges of every function, as JSON or as a table with a warning
 * per function whose oldest pending (or oldest undelivered) job waited more than 120 s. `--watch`
 * redraws every second and adds rates computed from the cluster-wide metrics counters; with
 * `--json` it prints one JSON document per line instead. A watch survives Redis outages (it says
 * so and keeps trying) and ends with exit 0 on Ctrl-C.
 */
export async function runStatus(config: Config, options: StatusOptions): Promise<void> {
  const manifest = await ensureBuilt(config);
  const redis = createRedisConnection(await resolveRedisUrl(config), { role: "client", name: "bw:status" });
  try {
    if (options.watch) await watch(redis, manifest, config.keyPrefix, options);
    else {
      const status = await collectStatus(redis, manifest, config.keyPrefix);
      process.stdout.write(options.json ? JSON.stringify(status, null, 2) + "\n" : formatStatusTable(status));
    }
  } finally {
    redis.disconnect();
  }
}

async function watch(redis: Redis, manifest: FunctionManifest, prefix: string, options: StatusOptions): Promise<void> {
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  process.once("SIGINT", onSignal).once("SIGTERM", onSignal);
  const types = manifest.functions.map((fn) => fn.type);
  const clear = process.stdout.isTTY ? "\x1b[H\x1b[2J" : "";
  let previous: { at: number; metrics: Map<string, JobMetrics> } | undefined;
  try {
    while (!stop.signal.aborted) {
      let frame: string;
      try {
        const at = Date.now();
        const [status, metrics] = await Promise.all([collectStatus(redis, manifest, prefix, at), readJobMetrics(redis, prefix, types)]);
        const rates = previous ? computeRates(previous.metrics, metrics, (at - previous.at) / 1000) : undefined;
        previous = { at, metrics };
        frame = options.json
          ? JSON.stringify({ ...status, rates: rates ? Object.fromEntries(rates) : null }) + "\n"
          : // The first frame has no rates yet ("-"), but already the columns, so the table does not jump.
            `${clear}backend-workers status at ${status.at} (every ${(options.intervalMs ?? 1000) / 1000} s; Ctrl-C stops)\n${formatStatusTable(status, rates ?? new Map())}\n`;
      } catch (error) {
        frame = options.json ? JSON.stringify({ at: new Date().toISOString(), error: errorMessage(error) }) + "\n" : `${clear}Redis unavailable: ${errorMessage(error)}; retrying\n\n`;
      }
      process.stdout.write(frame);
      await sleep(options.intervalMs ?? 1000, undefined, { signal: stop.signal }).catch(() => undefined);
    }
  } finally {
    process.off("SIGINT", onSignal).off("SIGTERM", onSignal);
  }
}

/** Per-function rates between two counter samples `seconds` apart. */
export function computeRates(before: Map<string, JobMetrics>, after: Map<string, JobMetrics>, seconds: number): Map<string, FunctionRates> {
  const rates = new Map<string, FunctionRates>();
  for (const [type, now] of after) {
    const then = before.get(type);
    // A counter that went down was reset (hash deleted): count from zero rather than show a negative rate.
    const delta = (pick: (m: JobMetrics) => number) => {
      const d = pick(now) - (then ? pick(then) : 0);
      return seconds > 0 ? Math.max(0, d < 0 ? pick(now) : d) / seconds : 0;
    };
    rates.set(type, {
      enqueued: delta((m) => m.events.enqueued),
      done: delta((m) => m.events.done),
      failed: delta((m) => m.events.retried + m.events.dead_lettered),
    });
  }
  return rates;
}

/**
 * Renders the status document as an aligned text table, with rate columns when `rates` is given
 * and a warning line per function whose oldest pending or oldest undelivered job waited too long.
 */
export function formatStatusTable(status: StatusDocument, rates?: Map<string, FunctionRates>): string {
  const header = ["function", "backlog", "pending", "oldest pending", "oldest waiting", "workers", "consumers", "delayed", "dead letters"];
  if (rates) header.push("in/s", "done/s", "failed/s");
  const seconds = (ms: number, present: boolean) => (present ? `${(ms / 1000).toFixed(1)} s` : "-");
  const rows = status.functions.map((fn) => {
    const row = [
      fn.type,
      String(fn.backlog),
      String(fn.pending),
      seconds(fn.oldestPendingAgeMs, fn.pending > 0),
      seconds(fn.oldestWaitingAgeMs, fn.backlog > 0),
      String(fn.workersAlive),
      String(fn.consumers),
      String(fn.delayed),
      String(fn.deadLetters),
    ];
    if (rates) {
      const rate = rates.get(fn.type);
      row.push(...[rate?.enqueued, rate?.done, rate?.failed].map((value) => (value === undefined ? "-" : value.toFixed(1))));
    }
    return row;
  });
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => (row[column] as string).length)));
  const line = (cells: string[]) => cells.map((cell, column) => (column === 0 ? cell.padEnd(widths[column] as number) : cell.padStart(widths[column] as number))).join("  ");
  const lines = [line(header), ...rows.map(line)];
  for (const fn of status.functions) {
    if (fn.oldestPendingAgeMs > OLDEST_PENDING_WARN_MS) lines.push(`WARNING: ${fn.type}: a job has been pending for ${Math.round(fn.oldestPendingAgeMs / 1000)} s (> ${OLDEST_PENDING_WARN_MS / 1000} s): a slow job, or a dead worker whose jobs wait for the visibility timeout`);
    if (fn.oldestWaitingAgeMs > OLDEST_PENDING_WARN_MS) lines.push(`WARNING: ${fn.type}: a job has been waiting for a worker for ${Math.round(fn.oldestWaitingAgeMs / 1000)} s (> ${OLDEST_PENDING_WARN_MS / 1000} s): add workers (BACKEND_WORKERS) or check that they run`);
  }
  return lines.join("\n") + "\n";
}
