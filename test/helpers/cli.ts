import { spawn, type ChildProcess } from "node:child_process";
import { afterEach } from "vitest";
import { join } from "node:path";

/** The repository root, where bin/backend-workers.mjs lives. */
export const ROOT = join(import.meta.dirname, "..", "..");

/** Environment for a CLI child: only what the test gives plus PATH/HOME, never the parent's REDIS_URL. */
export function cliEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH, HOME: process.env.HOME, NODE_OPTIONS: "", ...env };
}

/** Result of a finished CLI run. */
export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `backend-workers <args>` to completion. */
export function runCli(args: string[], env: Record<string, string>, input?: string): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(ROOT, "bin", "backend-workers.mjs"), ...args], { cwd: ROOT, env: cliEnv(env) });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => (stdout += chunk));
    child.stderr.on("data", (chunk) => (stderr += chunk));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(input ?? "");
  });
}

/** A long-running CLI process (start / worker) with its output collected. */
export interface CliProcess {
  child: ChildProcess;
  output(): string;
  /** Resolves with the exit code once the process has exited. */
  exited: Promise<number | null>;
}

/**
 * Spawns a long-running `backend-workers <args>`; `viaShebang` executes the bin script itself (as
 * `npx backend-workers` does, with its shebang's node flags) instead of `node <script>`.
 */
export function spawnCli(args: string[], env: Record<string, string>, options: { viaShebang?: boolean } = {}): CliProcess {
  const bin = join(ROOT, "bin", "backend-workers.mjs");
  const [command, argv] = options.viaShebang ? [bin, args] : [process.execPath, [bin, ...args]];
  const child = spawn(command, argv, { cwd: ROOT, env: cliEnv(env), stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout?.on("data", (chunk) => (output += chunk));
  child.stderr?.on("data", (chunk) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return { child, output: () => output, exited };
}

/**
 * Registers an afterEach that SIGKILLs every CLI process a test left running (and waits for it),
 * then runs the test's cleanups in reverse order. Returns the lists the test pushes to.
 */
export function useCliTeardown(): { processes: CliProcess[]; cleanups: (() => Promise<unknown> | unknown)[] } {
  const processes: CliProcess[] = [];
  const cleanups: (() => Promise<unknown> | unknown)[] = [];
  afterEach(async () => {
    for (const p of processes.splice(0)) {
      if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill("SIGKILL");
      await p.exited;
    }
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });
  return { processes, cleanups };
}
