import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, inject, it } from "vitest";
import { runCli, spawnCli, type CliProcess } from "../helpers/cli.ts";
import { TEST_BUILD_DIR } from "../helpers/test-functions.ts";
import { uniquePrefix } from "../helpers/test-env.ts";
import { waitFor } from "../helpers/wait-for.ts";
import { parsePrometheusText } from "../metrics/prometheus-text.ts";
import { API_TOKEN, METRICS_PASSWORD, metricsAuth } from "./http-test-app.ts";

const redisUrl = inject("redisUrl");

function env(extra: Record<string, string> = {}): Record<string, string> {
  const varDir = mkdtempSync(join(tmpdir(), "bw-cli-http-"));
  return { REDIS_URL: redisUrl, REDIS_KEY_PREFIX: uniquePrefix(), DIST_DIR: TEST_BUILD_DIR, VAR_DIR: varDir, LOG_LEVEL: "info", HTTP_PORT: "0", SHUTDOWN_GRACE_MS: "5000", ...extra };
}

function httpUrl(output: string): string {
  const match = /backend-workers: HTTP (http:\/\/\S+)/.exec(output);
  if (!match) throw new Error(`no HTTP line in: ${output}`);
  return match[1] as string;
}

describe("serve and start over HTTP", () => {
  const processes: CliProcess[] = [];
  afterEach(async () => {
    for (const p of processes.splice(0)) {
      if (p.child.exitCode === null) p.child.kill("SIGKILL");
      await p.exited;
    }
  });

  it("start runs the workers and HTTP: a job posted over HTTP runs and shows in /metrics; SIGTERM exits 0", async () => {
    // Prepare
    const start = spawnCli(["start"], env({ API_TOKEN, METRICS_PASSWORD }));
    processes.push(start);
    await waitFor(() => start.output().includes("ready"), { message: "start did not get ready", timeoutMs: 30_000 });
    const output = start.output();
    expect(output.indexOf("backend-workers: HTTP http://127.0.0.1:")).toBeGreaterThan(output.indexOf("probe: 2 worker(s)"));
    const base = httpUrl(output);

    // Act
    const posted = await fetch(`${base}/jobs/probe`, { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${API_TOKEN}` }, body: '{"id":"via-start"}' });

    // Assess
    expect(posted.status).toBe(202);
    const done = async () => {
      const text = parsePrometheusText(await (await fetch(`${base}/metrics`, { headers: { authorization: metricsAuth() } })).text());
      return text.value("backend_workers_queue_events_total", { function: "probe", status: "done" }) === 1 && text.value("backend_workers_queue_events_total", { function: "probe", status: "enqueued" }) === 1;
    };
    await waitFor(done, { message: "the job never showed as done in /metrics" });
    expect((await fetch(`${base}/ready`)).status).toBe(200);
    start.child.kill("SIGTERM");
    expect(await start.exited).toBe(0);
    expect(start.output()).toContain("backend-workers: stopped");
    await expect(fetch(`${base}/health`)).rejects.toThrow();
  });

  it("serve runs HTTP alone; worker runs no HTTP", async () => {
    const serveEnv = env();
    const serve = spawnCli(["serve"], serveEnv);
    const worker = spawnCli(["worker"], { ...serveEnv, HTTP_PORT: "1" });
    processes.push(serve, worker);
    await waitFor(() => serve.output().includes("ready") && worker.output().includes("ready"), { message: "serve/worker did not get ready", timeoutMs: 30_000 });
    const base = httpUrl(serve.output());

    expect((await fetch(`${base}/health`)).status).toBe(200);
    expect((await fetch(`${base}/jobs/probe`, { method: "POST", headers: { "content-type": "application/json" }, body: '{"id":"via-serve"}' })).status).toBe(202);
    expect(worker.output()).not.toContain("backend-workers: HTTP");

    serve.child.kill("SIGTERM");
    worker.child.kill("SIGTERM");
    expect(await serve.exited).toBe(0);
    expect(await worker.exited).toBe(0);
  });

  it("refuses to listen beyond loopback without API_TOKEN, naming the variable", async () => {
    const result = await runCli(["serve"], env({ HTTP_HOST: "0.0.0.0", METRICS_PASSWORD }));

    expect(result.code).toBe(1);
    expect(result.stderr).toContain("refusing to listen on 0.0.0.0: API_TOKEN not set");
  });
});
