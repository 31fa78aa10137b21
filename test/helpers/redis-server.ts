import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";
import { freePort } from "../../shared/embedded/embedded-redis.ts";

/** Options of {@link startRedisServer}. */
export interface RedisServerOptions {
  password?: string;
  appendonly?: boolean;
  port?: number;
  dir?: string;
  extraArgs?: string[];
}

/** A private redis-server started by a test; it may be killed and restarted on the same port. */
export interface RedisServerHandle {
  url: string;
  port: number;
  dir: string;
  readonly process: ChildProcess;
  /** SIGKILL, no chance to flush: what a crash looks like. */
  kill(): Promise<void>;
  /** Starts it again on the same port and data directory. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

/** Starts `redis-server` from PATH on a free loopback port with its data in a temp directory. */
export async function startRedisServer(options: RedisServerOptions = {}): Promise<RedisServerHandle> {
  const port = options.port ?? (await freePort());
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), "bw-redis-"));
  const args = ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--dir", dir, "--appendonly", options.appendonly ? "yes" : "no", "--appendfsync", "always", "--logfile", join(dir, "redis.log")];
  if (options.password) args.push("--requirepass", options.password);
  args.push(...(options.extraArgs ?? []));
  const auth = options.password ? `:${options.password}@` : "";
  const url = `redis://${auth}127.0.0.1:${port}`;
  let child = await launch(args, url);
  const handle: RedisServerHandle = {
    url,
    port,
    dir,
    get process() {
      return child;
    },
    async kill() {
      await terminate(child, "SIGKILL");
    },
    async restart() {
      child = await launch(args, url);
    },
    async stop() {
      await terminate(child, "SIGTERM");
      if (!options.dir) rmSync(dir, { recursive: true, force: true });
    },
  };
  return handle;
}

async function launch(args: string[], url: string): Promise<ChildProcess> {
  const child = spawn("redis-server", args, { stdio: "ignore" });
  const deadline = Date.now() + 10_000;
  for (;;) {
    const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, enableOfflineQueue: false });
    redis.on("error", () => undefined);
    try {
      await redis.connect();
      // Loading the AOF answers LOADING; wait until the data is back.
      await redis.ping();
      return child;
    } catch (error) {
      if (Date.now() > deadline) throw new Error(`redis-server did not start: ${(error as Error).message}`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    } finally {
      redis.disconnect();
    }
  }
}

function terminate(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once("exit", () => resolve());
    child.kill(signal);
  });
}
