import { afterEach, describe, expect, inject, it } from "vitest";
import { ensureGroup } from "../../shared/listener/ensure-group.ts";
import { jobKeys } from "../../shared/redis/keys.ts";
import { startRedisServer } from "../helpers/redis-server.ts";
import { testRedis } from "../helpers/test-env.ts";
import { METRICS_PASSWORD, metricsAuth, testApp } from "./http-test-app.ts";

const redisUrl = inject("redisUrl");

describe("health, readiness, metrics and status routes through inject()", () => {
  const cleanups: (() => Promise<unknown> | void)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function setup(url = redisUrl, env: Record<string, string> = { METRICS_PASSWORD }) {
    const { app, config } = await testApp(url, env);
    cleanups.push(() => app.close());
    const redis = testRedis(url);
    cleanups.push(() => redis.quit());
    return { app, config, redis, keys: jobKeys(config.keyPrefix, "probe") };
  }

  it("GET /health answers 200 without auth; GET /ready is 503 until the consumer group exists", async () => {
    // Prepare
    const { app, redis, keys } = await setup();

    // Act
    const health = await app.inject("/health");
    const before = await app.inject("/ready");
    await ensureGroup(redis, keys.stream);
    const after = await app.inject("/ready");

    // Assess
    expect(health.statusCode).toBe(200);
    expect(health.json()).toEqual({ status: "ok" });
    expect(before.statusCode).toBe(503);
    expect(before.json()).toMatchObject({ ready: false, checks: [{ name: "redis", ok: true }, { name: "group probe", ok: false, detail: expect.stringContaining("missing") }] });
    expect(after.statusCode).toBe(200);
    expect(after.json().ready).toBe(true);
  });

  it("GET /metrics and /status need user metrics and METRICS_PASSWORD", async () => {
    const { app } = await setup();
    for (const url of ["/metrics", "/status"]) {
      const none = await app.inject(url);
      const wrongPassword = await app.inject({ url, headers: { authorization: metricsAuth(METRICS_PASSWORD + "x") } });
      const wrongUser = await app.inject({ url, headers: { authorization: metricsAuth(METRICS_PASSWORD, "admin") } });
      const garbage = await app.inject({ url, headers: { authorization: "Basic !!!" } });
      const right = await app.inject({ url, headers: { authorization: metricsAuth() } });

      for (const response of [none, wrongPassword, wrongUser, garbage]) {
        expect(response.statusCode, url).toBe(401);
        expect(response.headers["www-authenticate"]).toContain("Basic");
      }
      expect(right.statusCode, url).toBe(200);
    }
  });

  it("GET /metrics is Prometheus text with every series at zero for a fresh function", async () => {
    const { app } = await setup();

    const response = await app.inject({ url: "/metrics", headers: { authorization: metricsAuth() } });

    expect(response.headers["content-type"]).toContain("text/plain; version=0.0.4");
    expect(response.body).toContain("# TYPE backend_workers_queue_events_total counter");
    expect(response.body).toContain('backend_workers_queue_events_total{function="probe",status="enqueued"} 0');
    expect(response.body).toContain("# TYPE backend_workers_job_duration_seconds histogram");
    expect(response.body).toContain('backend_workers_job_duration_seconds_bucket{function="probe",status="done",le="+Inf"} 0');
    expect(response.body).toContain('backend_workers_backlog{function="probe"} 0');
  });

  it("GET /status is the status --json document", async () => {
    const { app } = await setup();
    await app.inject({ method: "POST", url: "/jobs/probe", payload: { id: "s1" } });
    await app.inject({ method: "POST", url: "/jobs/probe", payload: { id: "s2" } });

    const response = await app.inject({ url: "/status", headers: { authorization: metricsAuth() } });

    expect(response.statusCode).toBe(200);
    const body = response.json();
    expect(Date.parse(body.at)).not.toBeNaN();
    expect(body.functions).toEqual([expect.objectContaining({ type: "probe", backlog: 2, pending: 0, deadLetters: 0, delayed: 0, workersAlive: 0 })]);
  });

  it("closing the app flushes the enqueued counts it recorded", async () => {
    const { app, redis, keys } = await setup();
    for (const id of ["a", "b", "c"]) expect((await app.inject({ method: "POST", url: "/jobs/probe", payload: { id } })).statusCode).toBe(202);

    await app.close();

    expect(await redis.hget(keys.metrics, "events:enqueued")).toBe("3");
  });

  it("503 from /ready, /metrics and /status while Redis is down; /health stays 200", async () => {
    const server = await startRedisServer();
    cleanups.push(() => server.stop());
    const { app } = await testApp(server.url, { METRICS_PASSWORD });
    cleanups.push(() => app.close());
    expect((await app.inject({ url: "/metrics", headers: { authorization: metricsAuth() } })).statusCode).toBe(200);
    await server.kill();

    const [ready, metrics, status, health] = await Promise.all([
      app.inject("/ready"),
      app.inject({ url: "/metrics", headers: { authorization: metricsAuth() } }),
      app.inject({ url: "/status", headers: { authorization: metricsAuth() } }),
      app.inject("/health"),
    ]);

    expect(ready.statusCode).toBe(503);
    expect(ready.json().checks[0]).toMatchObject({ name: "redis", ok: false });
    expect(metrics.statusCode).toBe(503);
    expect(metrics.json().code).toBe("REDIS_UNAVAILABLE");
    expect(status.statusCode).toBe(503);
    expect(health.statusCode).toBe(200);
    await server.restart();
  });
});
