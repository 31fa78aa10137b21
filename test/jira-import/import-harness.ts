import { randomBytes, randomUUID } from "node:crypto";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Redis } from "ioredis";
import type { Config } from "../../shared/config.ts";
import { createFunctionDeps } from "../../shared/composition/function-deps.ts";
import type { BatchResponse } from "../../shared/handler/stream-event.ts";
import { newEnvelope } from "../../shared/job/envelope.ts";
import { toStreamEvent } from "../../shared/listener/to-stream-event.ts";
import type { Logger } from "../../shared/logging/logger.ts";
import { createRedisKeyValueStore } from "../../shared/redis/redis-key-value-store.ts";
import { handler } from "../../functions/jira-import/handler.ts";
import { beforePublish, type ImportRequest, type StoredImport } from "../../functions/jira-import/schema.ts";
import { testConfig, testLogger, testRedis } from "../helpers/test-env.ts";
import { startSmtpPeer, type SmtpPeer } from "../helpers/smtp-peer.ts";

/** Credentials the tests use; a test asserts they never leave the vault. */
export const TEST_TOKEN = `tok-${randomBytes(12).toString("hex")}`;
export const TEST_EMAIL = "importer@example.com";

/**
 * Runs the jira-import handler in-process against real peers: Redis (the function's key-value
 * store, under a unique prefix), a local SMTP server (the requester's mail), a temp IMPORT_DIR.
 * Jobs are published through the function's own publish hook, so credentials are stored the way
 * production stores them.
 */
export class ImportHarness {
  readonly config: Config;
  readonly redis: Redis;
  readonly logger: Logger;
  readonly smtp: SmtpPeer;

  private constructor(config: Config, redis: Redis, logger: Logger, smtp: SmtpPeer) {
    this.config = config;
    this.redis = redis;
    this.logger = logger;
    this.smtp = smtp;
  }

  static async start(redisUrl: string, env: Record<string, string> = {}): Promise<ImportHarness> {
    const smtp = await startSmtpPeer();
    const config = testConfig(redisUrl, { SECRETS_KEY: randomBytes(32).toString("hex"), SMTP_URL: smtp.url, IMPORT_DIR: mkdtempSync(join(tmpdir(), "bw-imports-")), ...env });
    return new ImportHarness(config, testRedis(redisUrl), testLogger(config), smtp);
  }

  /** The payload as the publish hook stores it for `jobId`. */
  async stored(request: Partial<ImportRequest> & Pick<ImportRequest, "jiraUrl" | "projectKey">, jobId: string): Promise<StoredImport> {
    const kv = createRedisKeyValueStore(this.redis, this.config.keyPrefix, "jira-import");
    const full = { requester: { email: "requester@example.com" }, tracker: { name: "Bugs", shortName: "bug" }, credentials: { email: TEST_EMAIL, token: TEST_TOKEN }, ...request };
    return (await beforePublish(full, { jobId, config: this.config, kv })) as StoredImport;
  }

  /** Invokes the handler once, as the listener would, with optional port overrides. */
  async run(payload: StoredImport, options: { jobId: string; attempt?: number; fetch?: typeof fetch; timeoutMs?: number }): Promise<BatchResponse> {
    const scope = createFunctionDeps({ config: this.config, logger: this.logger, type: "jira-import", redis: this.redis, overrides: options.fetch ? { fetch: options.fetch } : {} });
    try {
      const job = { ...newEnvelope("jira-import", JSON.stringify(payload), { jobId: options.jobId }), attempt: options.attempt ?? 1 };
      const event = toStreamEvent(`${this.config.keyPrefix}:{jira-import}:jobs`, [{ entryId: `${Date.now()}-0`, job, attempt: job.attempt }]);
      return await handler(event, { backendWorkers: { deps: scope.deps, logger: this.logger, timeoutMs: options.timeoutMs ?? 120_000 } });
    } finally {
      await scope.dispose();
    }
  }

  /** A fresh job id. */
  newJobId(): string {
    return randomUUID();
  }

  async close(): Promise<void> {
    await this.smtp.close();
    await this.redis.quit();
  }
}
