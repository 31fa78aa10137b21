import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { Redis } from "ioredis";
import { embeddedSecretsKeyFile } from "../config.ts";
import { BackendWorkersError } from "../errors.ts";

/** A running embedded Redis. */
export interface EmbeddedRedis {
  url: string;
  port: number;
  pid: number;
  /** True when this process started it (and so should stop it). */
  owned: boolean;
  stop(): Promise<void>;
}

interface State {
  port: number;
  pid: number;
}

const paths = (varDir: string) => {
  const dir = join(varDir, "redis");
  return { dir, password: join(dir, "password"), state: join(dir, "embedded.json"), conf: join(dir, "redis.conf"), log: join(dir, "redis.log") };
};

/**
 * The embedded default Redis: a private `redis-server` from PATH with append-only persistence,
 * `noeviction` and a generated 64-character password, all under `<varDir>/redis/`. If one is
 * already running there (the previous `start` was killed), it is reused.
 */
export async function startEmbeddedRedis(varDir: string): Promise<EmbeddedRedis> {
  const p = paths(varDir);
  mkdirSync(p.dir, { recursive: true, mode: 0o700 });
  if (!existsSync(p.password)) writeFileSync(p.password, randomBytes(32).toString("hex"), { mode: 0o600 });
  chmodSync(p.password, 0o600);
  const password = readFileSync(p.password, "utf8").trim();

  // The embedded default also owns a secrets key (Jira credentials are stored encrypted with it).
  const keyFile = embeddedSecretsKeyFile(varDir);
  if (!existsSync(keyFile)) writeFileSync(keyFile, randomBytes(32).toString("hex"), { mode: 0o600 });

  const running = await findEmbeddedRedis(varDir);
  if (running) return running;

  const port = await freePort();
  writeFileSync(
    p.conf,
    [
      `port ${port}`,
      "bind 127.0.0.1",
      `requirepass ${password}`,
      `dir ${p.dir}`,
      "appendonly yes",
      "appendfsync everysec",
      'save ""',
      "maxmemory-policy noeviction",
      `logfile ${p.log}`,
      "daemonize no",
    ].join("\n") + "\n",
    { mode: 0o600 },
  );
  const child = spawn("redis-server", [p.conf], { stdio: "ignore", detached: true });
  const spawned = await new Promise<number>((resolve, reject) => {
    child.once("error", (error) =>
      reject(new BackendWorkersError("NO_REDIS_SERVER", `cannot start the embedded Redis: redis-server is not on PATH (${error.message}); install it or set REDIS_URL`, { retryable: false })),
    );
    child.once("spawn", () => resolve(child.pid as number));
  });
  child.unref();
  writeFileSync(p.state, JSON.stringify({ port, pid: spawned } satisfies State));
  const url = `redis://:${password}@127.0.0.1:${port}`;
  await waitForPing(url, 10_000, p.log);
  return { url, port, pid: spawned, owned: true, stop: () => shutdown(url) };
}

/** The embedded Redis under `varDir` if it is running and answers, else undefined. */
export async function findEmbeddedRedis(varDir: string): Promise<EmbeddedRedis | undefined> {
  const p = paths(varDir);
  if (!existsSync(p.state) || !existsSync(p.password)) return undefined;
  let state: State;
  try {
    state = JSON.parse(readFileSync(p.state, "utf8")) as State;
    process.kill(state.pid, 0);
  } catch {
    return undefined;
  }
  const url = `redis://:${readFileSync(p.password, "utf8").trim()}@127.0.0.1:${state.port}`;
  try {
    await waitForPing(url, 1_000);
  } catch {
    return undefined;
  }
  return { url, port: state.port, pid: state.pid, owned: false, stop: () => shutdown(url) };
}

async function waitForPing(url: string, timeoutMs: number, logFile?: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, enableOfflineQueue: false });
    redis.on("error", () => undefined);
    try {
      await redis.connect();
      await redis.ping();
      return;
    } catch (error) {
      if (Date.now() > deadline) {
        const hint = logFile && existsSync(logFile) ? ` (see ${logFile})` : "";
        throw new BackendWorkersError("EMBEDDED_REDIS_DOWN", `embedded Redis did not answer: ${(error as Error).message}${hint}`, { retryable: false });
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    } finally {
      redis.disconnect();
    }
  }
}

async function shutdown(url: string): Promise<void> {
  const redis = new Redis(url, { maxRetriesPerRequest: 0, retryStrategy: () => null });
  redis.on("error", () => undefined);
  try {
    await redis.call("SHUTDOWN");
  } catch {
    // SHUTDOWN closes the connection instead of answering.
  } finally {
    redis.disconnect();
  }
}

/** A TCP port free right now on loopback. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
