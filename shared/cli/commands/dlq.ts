import type { Command } from "commander";
import type { Config } from "../../config.ts";
import { BackendWorkersError } from "../../errors.ts";
import { DeadLetters, type DeadLetter } from "../../dlq/dead-letters.ts";
import { resolveRedisUrl } from "../../embedded/resolve-redis-url.ts";
import { findFunction } from "../../functions/manifest.ts";
import { MetricsRecorder } from "../../metrics/metrics-recorder.ts";
import { createRedisConnection } from "../../redis/connection.ts";
import { ensureBuilt } from "../project.ts";

async function withDeadLetters<T>(config: Config, type: string, action: (dlq: DeadLetters, metrics: MetricsRecorder) => Promise<T>): Promise<T> {
  findFunction(await ensureBuilt(config), type);
  const redis = createRedisConnection(await resolveRedisUrl(config), { role: "client", name: "bw:dlq" });
  // A redriven job is enqueued again: counted like any publish, so /metrics adds up.
  const metrics = new MetricsRecorder({ redis, keyPrefix: config.keyPrefix });
  try {
    return await action(new DeadLetters(redis, config.keyPrefix), metrics);
  } finally {
    await metrics.close().catch(() => undefined);
    redis.disconnect();
  }
}

/** Registers `dlq list|redrive|purge <type>`. */
export function registerDlqCommands(program: Command, config: () => Config): void {
  const dlq = program.command("dlq").description("inspect and act on the dead letters of a function");
  dlq
    .command("list")
    .argument("<type>", "job type")
    .option("--json", "print JSON lines")
    .option("--count <n>", "at most this many (oldest first)", "100")
    .action((type: string, options: { json?: boolean; count: string }) =>
      withDeadLetters(config(), type, async (letters) => {
        const list = await letters.list(type, Number(options.count) || 100);
        if (options.json) for (const letter of list) process.stdout.write(JSON.stringify(letter) + "\n");
        else process.stdout.write(formatDeadLetters(list, await letters.count(type)));
      }),
    );
  dlq
    .command("redrive")
    .argument("<type>", "job type")
    .option("--id <ids...>", "dead-letter entry ids (from dlq list)")
    .option("--all", "every dead letter")
    .action((type: string, options: { id?: string[]; all?: boolean }) =>
      withDeadLetters(config(), type, async (letters, metrics) => {
        if (!options.all && !options.id?.length) throw new BackendWorkersError("BAD_ARGUMENT", "dlq redrive needs --id <id...> or --all", { retryable: false });
        const moved = await letters.redrive(type, options.all ? { all: true } : { ids: options.id ?? [] });
        metrics.recordEnqueued(type, moved);
        process.stdout.write(`redrove ${moved} job(s) to ${type}\n`);
      }),
    );
  dlq
    .command("purge")
    .argument("<type>", "job type")
    .action((type: string) =>
      withDeadLetters(config(), type, async (letters) => {
        process.stdout.write(`purged ${await letters.purge(type)} dead letter(s) of ${type}\n`);
      }),
    );
}

function formatDeadLetters(list: DeadLetter[], total: number): string {
  const lines = list.map((letter) => {
    const when = letter.failedAt ? new Date(letter.failedAt).toISOString() : "-";
    return `${letter.id}  job ${letter.jobId ?? "-"}  attempt ${letter.attempt ?? "-"}  ${when}  ${letter.errorCode ?? "-"}: ${letter.errorMessage ?? ""}`;
  });
  lines.push(`${total} dead letter(s)${total > list.length ? `, ${list.length} shown` : ""}`);
  return lines.join("\n") + "\n";
}
