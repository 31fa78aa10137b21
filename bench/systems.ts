import { Redis } from "ioredis";

/** One job's payload: ~200 bytes of JSON, like a small tracker notification. */
export function benchPayload(i: number, t = 0): { t: number; artifactId: number; tracker: string; title: string; changes: string[] } {
  return { t, artifactId: 100_000 + i, tracker: "Bugs", title: `Crash when saving artifact #${i} with a long description`, changes: ["status: Open -> In progress", "assignee: none -> alice@example.com", "priority: 3 -> 1"] };
}

/** A connection for the bare loop and BullMQ. */
export function connect(url: string): Redis {
  const redis = new Redis(url, { maxRetriesPerRequest: null });
  redis.on("error", () => undefined);
  return redis;
}

/**
 * The ceiling of any Redis-streams worker: XADD pipelines, and N consumers each doing
 * XREADGROUP COUNT batch + one pipelined XACK/XDEL per batch, calling a no-op async function.
 */
export const bare = {
  async publish(redis: Redis, stream: string, count: number, batch: number, t?: () => number): Promise<void> {
    for (let start = 0; start < count; start += batch) {
      const pipeline = redis.pipeline();
      for (let i = start; i < Math.min(count, start + batch); i++) pipeline.xadd(stream, "*", "type", "noop", "payload", JSON.stringify(benchPayload(i, t?.() ?? 0)));
      await pipeline.exec();
    }
  },

  /** Runs N consumers until `count` jobs were handled (or `until` resolves); returns a stop function. */
  consume(url: string, stream: string, workers: number, batch: number, onJob: (payload: string) => void): { stop(): Promise<void> } {
    let stopping = false;
    const connections: Redis[] = [];
    const loops: Promise<void>[] = [];
    const shared = connect(url);
    connections.push(shared);
    for (let w = 0; w < workers; w++) {
      const blocking = connect(url);
      connections.push(blocking);
      loops.push(
        (async () => {
          await shared.xgroup("CREATE", stream, "bare", "0", "MKSTREAM").catch(() => undefined);
          while (!stopping) {
            const reply = (await blocking.xreadgroup("GROUP", "bare", `c${w}`, "COUNT", batch, "BLOCK", 100, "STREAMS", stream, ">")) as [string, [string, string[]][]][] | null;
            const entries = reply?.[0]?.[1] ?? [];
            if (entries.length === 0) continue;
            for (const [, fields] of entries) {
              await Promise.resolve();
              onJob(fields[3] as string);
            }
            const ids = entries.map(([id]) => id);
            await shared.pipeline().xack(stream, "bare", ...ids).xdel(stream, ...ids).exec();
          }
        })(),
      );
    }
    return {
      async stop() {
        stopping = true;
        await Promise.all(loops);
        for (const connection of connections) connection.disconnect();
      },
    };
  },
};

/** Redis's own CPU time so far (user + sys, ms), from INFO cpu: what a run costs the server. */
export async function redisCpu(redis: Redis): Promise<number> {
  const info = await redis.info("cpu");
  const read = (name: string) => Number(new RegExp(`${name}:([\\d.]+)`).exec(info)?.[1] ?? 0);
  return (read("used_cpu_user") + read("used_cpu_sys")) * 1000;
}
