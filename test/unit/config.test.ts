import { describe, expect, it } from "vitest";
import { loadConfig, redactUrl } from "../../shared/config.ts";

describe("loadConfig", () => {
  it("applies the defaults of DESIGN.md", () => {
    // Act
    const config = loadConfig({ VAR_DIR: "/tmp/bw-unit" });

    // Assess
    expect(config).toMatchObject({ redisUrl: undefined, workers: 2, logLevel: "info", keyPrefix: "bw", logFile: "/tmp/bw-unit/log/worker_log", autoBuild: true, shutdownGraceMs: 30_000 });
  });

  it.each([
    [{ BACKEND_WORKERS: "0" }, "BACKEND_WORKERS: must be an integer from 1 to 1000, got 0"],
    [{ BACKEND_WORKERS: "two" }, 'BACKEND_WORKERS: must be an integer from 1 to 1000, got "two"'],
    [{ REDIS_URL: "localhost:6379" }, "REDIS_URL: scheme must be redis:// or rediss://"],
    [{ REDIS_URL: "::nonsense" }, "REDIS_URL: is not a URL"],
    [{ LOG_LEVEL: "verbose" }, "LOG_LEVEL: must be one of fatal, error, warn, info, debug, trace, silent"],
    [{ METRICS_PASSWORD: "short" }, "METRICS_PASSWORD: must be at least 16 characters long"],
    [{ API_TOKEN: "short" }, "API_TOKEN: must be at least 16 characters long"],
    [{ SMTP_URL: "http://mail" }, "SMTP_URL: scheme must be smtp: or smtps:"],
    [{ SECRETS_KEY: "abc" }, "SECRETS_KEY: must be 32 bytes"],
    [{ REDIS_KEY_PREFIX: "a b" }, "REDIS_KEY_PREFIX: may only hold"],
  ])("rejects %j with one line naming the variable", (env, message) => {
    expect(() => loadConfig({ VAR_DIR: "/tmp/bw-unit", ...env })).toThrow(message);
  });

  it("never shows the password of a URL it prints", () => {
    expect(redactUrl("redis://:hunter2hunter2@redis.internal:6380/1")).toBe("redis://:***@redis.internal:6380/1");
    expect(redactUrl("rediss://user:pw@host:1")).toBe("rediss://user:***@host:1");
  });
});
