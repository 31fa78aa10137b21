import { request } from "node:http";
import { afterEach, describe, expect, inject, it } from "vitest";
import { listenHttp } from "../../shared/http/server.ts";
import { startRedisServer } from "../helpers/redis-server.ts";
import { API_TOKEN, METRICS_PASSWORD, metricsAuth, testApp } from "./http-test-app.ts";

const redisUrl = inject("redisUrl");

/** A raw POST that reports the status even when the server answers before the body is sent (413). */
function rawPost(url: string, body: string | Buffer, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: "POST", headers: { "content-length": String(Buffer.byteLength(body)), ...headers } }, (res) => {
      let text = "";
      res.on("data", (chunk) => (text += chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    // The server may close the socket while the rest of a refused body is still being written.
    req.on("error", (error) => reject(error));
    req.end(body);
  });
}

describe("the HTTP server over a real socket", () => {
  const cleanups: (() => Promise<unknown> | void)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function serve(url = redisUrl, env: Record<string, string> = { API_TOKEN, METRICS_PASSWORD }) {
    const { app, config } = await testApp(url, env);
    cleanups.push(() => app.close());
    const base = await listenHttp(app, { host: "127.0.0.1", port: 0, apiToken: config.apiToken, metricsPassword: config.metricsPassword });
    return { base, app };
  }

  it("answers every status code of the API and keeps serving after hostile bodies", async () => {
    // Prepare
    const { base } = await serve();
    const json = { "content-type": "application/json" };
    const bearer = { authorization: `Bearer ${API_TOKEN}` };
    const post = (type: string, body: string, headers: Record<string, string> = { ...json, ...bearer }) => fetch(`${base}/jobs/${type}`, { method: "POST", headers, body });
    const healthy = async () => (await fetch(`${base}/health`)).status === 200;

    // Act + Assess
    expect((await post("probe", '{"id":"socket"}')).status).toBe(202);
    expect((await post("probe", '{"id":"socket"}', json)).status).toBe(401);
    expect((await post("nope", '{"id":"x"}')).status).toBe(404);
    expect((await post("probe", '{"id":7}')).status).toBe(400);
    expect((await post("probe", "garbage \u0000\u00ff")).status).toBe(400);
    expect(await healthy()).toBe(true);
    expect((await post("probe", "[".repeat(200_000) + "]".repeat(200_000))).status).toBe(400);
    expect(await healthy()).toBe(true);
    const huge = await rawPost(`${base}/jobs/probe`, Buffer.alloc(10 * 1024 * 1024, "a"), { ...json, ...bearer }).catch((error: Error) => ({ status: -1, body: error.message }));
    expect(huge.status).toBe(413);
    expect(await healthy()).toBe(true);
    expect((await post("probe", "{}", { "content-type": "text/plain", ...bearer })).status).toBe(415);
    expect((await fetch(`${base}/ready`)).status).toBe(503);
    expect((await fetch(`${base}/metrics`)).status).toBe(401);
    const metrics = await fetch(`${base}/metrics`, { headers: { authorization: metricsAuth() } });
    expect(metrics.status).toBe(200);
    expect(await metrics.text()).toContain("backend_workers_queue_events_total");
    expect((await fetch(`${base}/status`, { headers: { authorization: metricsAuth() } })).status).toBe(200);
    expect((await fetch(`${base}/nowhere`)).status).toBe(404);
    expect((await post("probe", '{"id":"still"}')).status).toBe(202);
  });

  it("503 over the socket while Redis is down", async () => {
    const server = await startRedisServer();
    cleanups.push(() => server.stop());
    const { base } = await serve(server.url, { API_TOKEN });
    await server.kill();

    const response = await fetch(`${base}/jobs/probe`, { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${API_TOKEN}` }, body: '{"id":"lost?"}' });

    expect(response.status).toBe(503);
    expect(response.headers.get("retry-after")).toBeTruthy();
    await server.restart();
  });

  it("refuses a non-loopback address without API_TOKEN or METRICS_PASSWORD, accepts it with both", async () => {
    const { app, config } = await testApp(redisUrl, { METRICS_PASSWORD });
    cleanups.push(() => app.close());

    await expect(listenHttp(app, { host: "0.0.0.0", port: 0, apiToken: config.apiToken, metricsPassword: config.metricsPassword })).rejects.toMatchObject({ code: "INSECURE_HTTP", message: expect.stringContaining("API_TOKEN") });
    expect(app.server.listening).toBe(false);
    await expect(listenHttp(app, { host: "::", port: 0, apiToken: API_TOKEN, metricsPassword: undefined })).rejects.toMatchObject({ message: expect.stringContaining("METRICS_PASSWORD") });

    const url = await listenHttp(app, { host: "0.0.0.0", port: 0, apiToken: API_TOKEN, metricsPassword: METRICS_PASSWORD });
    expect(app.server.listening).toBe(true);
    expect((await fetch(url.replace("0.0.0.0", "127.0.0.1") + "/health")).status).toBe(200);
  });
});
