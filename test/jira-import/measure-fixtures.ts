// Prints how long each recorded Jira session takes to import and the peak memory of the process:
// `node bin/run-ts.mjs test/jira-import/measure-fixtures.ts`. A measurement, not a test: ports are
// in-memory fakes (no Redis, no SMTP) so only the client and the conversion are timed.
import { randomBytes, randomUUID } from "node:crypto";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig } from "../../shared/config.ts";
import { createLogger } from "../../shared/logging/logger.ts";
import type { FunctionDeps } from "../../shared/ports/function-deps.ts";
import type { KeyValueStore } from "../../shared/ports/key-value-store.ts";
import { runImport } from "../../functions/jira-import/run-import.ts";
import { beforePublish, type StoredImport } from "../../functions/jira-import/schema.ts";
import { loadManifest, startJiraReplay } from "../../functions/jira-import/replay-server.ts";
import { FALLBACK_USER, FIXTURE_SETS, FIXTURES_DIR } from "./fixture-sets.ts";
import { syntheticCloudProject } from "./synthetic-jira.ts";

const memory = new Map<string, string>();
const kv: KeyValueStore = {
  get: async (key) => memory.get(key) ?? null,
  set: async (key, value, options) => {
    if (options?.ifAbsent && memory.has(key)) return false;
    memory.set(key, value);
    return true;
  },
  del: async (key) => void memory.delete(key),
  incr: async (key) => {
    const next = Number(memory.get(key) ?? 0) + 1;
    memory.set(key, String(next));
    return next;
  },
};
const config = loadConfig({ VAR_DIR: mkdtempSync(join(tmpdir(), "bw-measure-")), SECRETS_KEY: randomBytes(32).toString("hex"), LOG_LEVEL: "warn" });
const logger = createLogger({ level: "warn", file: join(config.varDir, "measure.log") });
const deps: FunctionDeps = { config, kv, mailer: { send: async () => ({ messageId: "x", accepted: [], rejected: [] }) }, fetch: globalThis.fetch, clock: { now: () => Date.now() } };

let peak = 0;
const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 5);

async function measure(name: string, jiraUrl: string, request: Partial<StoredImport> & { projectKey: string }): Promise<void> {
  const jobId = randomUUID();
  const stored = (await beforePublish({ jiraUrl, requester: { email: "r@example.com" }, tracker: { name: "Bugs", shortName: "bug" }, credentials: { email: "a@example.com", token: "t" }, ...request }, { jobId, config, kv })) as StoredImport;
  global.gc?.();
  peak = process.memoryUsage().rss;
  const started = performance.now();
  await runImport(stored, { logger, signal: new AbortController().signal, attempt: 1, jobId, enqueuedAt: Date.now(), deps });
  const ms = performance.now() - started;
  peak = Math.max(peak, process.memoryUsage().rss);
  process.stdout.write(`${name.padEnd(28)} ${ms.toFixed(0).padStart(6)} ms   peak RSS ${(peak / 2 ** 20).toFixed(0)} MiB\n`);
}

for (const set of FIXTURE_SETS) {
  const replay = await startJiraReplay({ flavor: set.flavor, recorded: loadManifest(join(FIXTURES_DIR, set.name)) });
  await measure(`${set.name} (${set.flavor})`, replay.url, { projectKey: set.projectKey, issueTypes: set.issueTypes, users: set.users, fallbackUser: FALLBACK_USER });
  await replay.close();
}
for (const issues of [250, 5000]) {
  const project = syntheticCloudProject({ key: "SYN", issues, pageSize: 100 });
  const replay = await startJiraReplay({ flavor: "cloud", route: project.route });
  await measure(`synthetic Cloud ${issues} issues`, replay.url, { projectKey: "SYN", issueTypes: ["10001"], users: { "dev@example.com": "dev" } });
  await replay.close();
}
clearInterval(sampler);
