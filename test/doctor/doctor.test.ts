import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { formatCheck, type DoctorCheck } from "../../shared/doctor/doctor-check.ts";
import { runDoctor, tlsCheck } from "../../shared/doctor/run-doctor.ts";
import { freePort } from "../../shared/embedded/embedded-redis.ts";
import { ensureGroup } from "../../shared/listener/ensure-group.ts";
import { jobKeys } from "../../shared/redis/keys.ts";
import { runCli } from "../helpers/cli.ts";
import { startRedisServer, type RedisServerOptions } from "../helpers/redis-server.ts";
import { testManifest, TEST_BUILD_DIR } from "../helpers/test-functions.ts";
import { testRedis, uniquePrefix } from "../helpers/test-env.ts";

const GOOD_PASSWORD = "a-long-redis-password-of-40-characters!!";

describe("doctor", () => {
  const cleanups: (() => Promise<unknown> | void)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  /** A private redis-server and a prefix whose probe group exists (unless `withGroup` is false). */
  async function redisWith(options: RedisServerOptions, withGroup = true) {
    const server = await startRedisServer(options);
    cleanups.push(() => server.stop());
    const prefix = uniquePrefix();
    if (withGroup) {
      const redis = testRedis(server.url);
      await ensureGroup(redis, jobKeys(prefix, "probe").stream);
      await redis.quit();
    }
    return { url: server.url, prefix };
  }

  const byName = (checks: DoctorCheck[]) => Object.fromEntries(checks.map((check) => [check.name, check]));
  const cliEnv = (url: string, prefix: string) => ({ REDIS_URL: url, REDIS_KEY_PREFIX: prefix, DIST_DIR: TEST_BUILD_DIR, VAR_DIR: mkdtempSync(join(tmpdir(), "bw-doctor-")) });

  it("fails a Redis without password and without AOF, saying how to fix each, and exits 1", async () => {
    // Prepare
    const { url, prefix } = await redisWith({ appendonly: false });

    // Act
    const result = await runCli(["doctor"], cliEnv(url, prefix));

    // Assess
    expect(result.code).toBe(1);
    const lines = result.stdout.trim().split("\n");
    expect(lines.find((line) => line.startsWith("[FAIL] password:"))).toMatch(/accepts commands without a password — fix: set "requirepass" to at least 30/);
    expect(lines.find((line) => line.startsWith("[FAIL] appendonly:"))).toMatch(/— fix: .*CONFIG SET appendonly yes/);
    expect(lines.find((line) => line.startsWith("[ ok ] maxmemory-policy:"))).toBeDefined();
    expect(lines.find((line) => line.startsWith("[ ok ] group probe:"))).toBeDefined();
    expect(lines.at(-1)).toMatch(/^doctor: 2 of \d+ checks failed$/);
  });

  it("passes a correct Redis (long password, AOF, noeviction, groups) and exits 0", async () => {
    const { url, prefix } = await redisWith({ password: GOOD_PASSWORD, appendonly: true });

    const result = await runCli(["doctor"], cliEnv(url, prefix));

    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(result.stdout).not.toContain("[FAIL]");
    expect(result.stdout).not.toContain(GOOD_PASSWORD);
    for (const name of ["reachable", "tls", "password", "version", "config", "appendonly", "maxmemory-policy", "group probe"]) {
      expect(result.stdout).toMatch(new RegExp(`^\\[ ok \\] ${name}: `, "m"));
    }
    // A loaded test machine may be slow to answer: latency is reported, its verdict not asserted.
    expect(result.stdout).toMatch(/^\[( ok |warn)\] latency: median [\d.]+ ms/m);
    expect(result.stdout).toMatch(/^doctor: all 9 checks passed/m);
  });

  it("fails a short password, an evicting policy and a missing group", async () => {
    const { url, prefix } = await redisWith({ password: "only-twenty-chars-xx", appendonly: true, extraArgs: ["--maxmemory-policy", "allkeys-lru"] }, false);

    const checks = byName(await runDoctor({ redisUrl: url, manifest: await testManifest(), keyPrefix: prefix, pings: 3 }));

    expect(checks.password).toMatchObject({ status: "fail", detail: "required, but only 20 characters long" });
    expect(checks["maxmemory-policy"]).toMatchObject({ status: "fail", fix: expect.stringContaining("CONFIG SET maxmemory-policy noeviction") });
    expect(checks["group probe"]).toMatchObject({ status: "fail", fix: expect.stringContaining("start the workers") });
    expect(checks.appendonly?.status).toBe("ok");
  });

  it("works when CONFIG is renamed: says so and reads the settings from INFO", async () => {
    const { url, prefix } = await redisWith({ password: GOOD_PASSWORD, appendonly: false, extraArgs: ["--rename-command", "CONFIG", ""] });

    const checks = await runDoctor({ redisUrl: url, manifest: await testManifest(), keyPrefix: prefix, pings: 3 });

    const named = byName(checks);
    expect(named.config).toMatchObject({ status: "info", detail: expect.stringContaining("CONFIG is disabled or renamed") });
    expect(named.appendonly).toMatchObject({ status: "fail" });
    expect(named["maxmemory-policy"]).toMatchObject({ status: "ok" });
    expect(named.version?.status).toBe("ok");
    expect(formatCheck(named.config!)).toMatch(/^\[info\] config: CONFIG is disabled or renamed .*settings read from INFO instead$/);
  });

  it("reports an unreachable Redis as one failed check instead of throwing", async () => {
    const port = await freePort();

    const checks = await runDoctor({ redisUrl: `redis://127.0.0.1:${port}`, manifest: await testManifest(), keyPrefix: "x", pings: 1 });

    expect(checks[0]).toMatchObject({ name: "reachable", status: "fail", fix: expect.stringContaining("REDIS_URL") });
  });

  it("requires TLS for a non-loopback host only", () => {
    expect(tlsCheck("redis://:pw@10.0.0.5:7000")).toMatchObject({ status: "fail", fix: expect.stringContaining("rediss://") });
    expect(tlsCheck("rediss://:pw@redis.example.com:7000").status).toBe("ok");
    expect(tlsCheck("redis://127.0.0.1:7000").status).toBe("ok");
    expect(tlsCheck("redis://[::1]:7000").status).toBe("ok");
    expect(tlsCheck("redis://localhost:7000").status).toBe("ok");
  });
});
