import type { Config } from "../../config.ts";
import { resolveRedisUrl } from "../../embedded/resolve-redis-url.ts";
import { createRedisConnection } from "../../redis/connection.ts";
import { collectStatus, type StatusDocument } from "../../status/collect-status.ts";
import { ensureBuilt } from "../project.ts";

/** Tuleap's queue check warns past this wait. */
export const OLDEST_PENDING_WARN_MS = 120_000;

/** `status [--json]`: the gauges of every function, as JSON or as a table. */
export async function runStatus(config: Config, options: { json?: boolean }): Promise<void> {
  const manifest = await ensureBuilt(config);
  const redis = createRedisConnection(await resolveRedisUrl(config), { role: "client", name: "bw:status" });
  try {
    const status = await collectStatus(redis, manifest, config.keyPrefix);
    process.stdout.write(options.json ? JSON.stringify(status, null, 2) + "\n" : formatStatusTable(status));
  } finally {
    redis.disconnect();
  }
}

/** Renders the status document as an aligned text table, with a warning line per late function. */
export function formatStatusTable(status: StatusDocument): string {
  const header = ["function", "backlog", "pending", "oldest pending", "workers", "consumers", "delayed", "dead letters"];
  const rows = status.functions.map((fn) => [
    fn.type,
    String(fn.backlog),
    String(fn.pending),
    fn.pending ? `${(fn.oldestPendingAgeMs / 1000).toFixed(1)} s` : "-",
    String(fn.workersAlive),
    String(fn.consumers),
    String(fn.delayed),
    String(fn.deadLetters),
  ]);
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => (row[column] as string).length)));
  const line = (cells: string[]) => cells.map((cell, column) => (column === 0 ? cell.padEnd(widths[column] as number) : cell.padStart(widths[column] as number))).join("  ");
  const lines = [line(header), ...rows.map(line)];
  for (const fn of status.functions) {
    if (fn.oldestPendingAgeMs > OLDEST_PENDING_WARN_MS) lines.push(`WARNING: ${fn.type}: a job has been pending for ${Math.round(fn.oldestPendingAgeMs / 1000)} s (> ${OLDEST_PENDING_WARN_MS / 1000} s)`);
  }
  return lines.join("\n") + "\n";
}
