import type { Config } from "../../config.ts";
import { resolveRedisUrl } from "../../embedded/resolve-redis-url.ts";
import { PublishError } from "../../job/envelope.ts";
import { MetricsRecorder } from "../../metrics/metrics-recorder.ts";
import { Publisher, type PublishOptions } from "../../publisher/publisher.ts";
import { createRedisConnection } from "../../redis/connection.ts";
import { ensureBuilt } from "../project.ts";
import { readPayloadArgument } from "../read-payload.ts";

/**
 * `publish <type> <json|@file|->`: validates the payload against the function's schema, adds
 * the job and prints its id (`--batch`: an array of payloads, one id per line). Exits non-zero with the reason when nothing was stored.
 */
export async function runPublish(config: Config, type: string, payloadArgument: string, options: PublishOptions & { batch?: boolean }): Promise<void> {
  const payload = await readPayloadArgument(payloadArgument);
  const manifest = await ensureBuilt(config);
  const redis = createRedisConnection(await resolveRedisUrl(config), { role: "client", name: "bw:publish" });
  // The CLI counts what it enqueues too, so /metrics sees every job whatever published it.
  const metrics = new MetricsRecorder({ redis, keyPrefix: config.keyPrefix });
  try {
    const publisher = new Publisher({ redis, manifest, config, onPublished: (published, count) => metrics.recordEnqueued(published, count) });
    if (options.batch) {
      if (!Array.isArray(payload)) throw new PublishError("BAD_ARGUMENT", "--batch needs a JSON array of payloads");
      for (const id of await publisher.publishBatch(type, payload)) process.stdout.write(id + "\n");
      return;
    }
    const result = await publisher.publish(type, payload, options);
    process.stdout.write(result.jobId + "\n");
    if (result.duplicate) process.stderr.write(`backend-workers: idempotency key already used; this is the first job's id\n`);
  } finally {
    await metrics.close().catch(() => undefined);
    redis.disconnect();
  }
}
