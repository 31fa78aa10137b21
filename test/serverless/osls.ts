import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** The repository root. */
export const REPO = join(import.meta.dirname, "..", "..");

const OSLS = join(REPO, "node_modules", "osls", "bin", "serverless.js");

/** A throwaway serverless service directory and how to remove it. */
export interface ServiceDir {
  dir: string;
  remove(): void;
}

/**
 * A temp service directory holding a serverless.yml (the repo's own unless `yml` is given) with
 * `serverless/` (the plugin) and `functions/` linked to the repo's, so osls runs the real
 * configuration while its build (dist/) and artifacts stay out of the working tree other
 * engineers and tests use.
 */
export function serviceDir(yml: string = readFileSync(join(REPO, "serverless.yml"), "utf8")): ServiceDir {
  const dir = mkdtempSync(join(tmpdir(), "bw-sls-"));
  writeFileSync(join(dir, "serverless.yml"), yml);
  symlinkSync(join(REPO, "serverless"), join(dir, "serverless"));
  symlinkSync(join(REPO, "functions"), join(dir, "functions"));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * The environment of an osls child: PATH and HOME (osls caches its schema validator there),
 * dummy AWS credentials (nothing reaches AWS, but the SDK wants something to sign with), and
 * only the backend-workers variables the test gives, never the parent's.
 */
export function oslsEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH, HOME: process.env.HOME, AWS_ACCESS_KEY_ID: "test", AWS_SECRET_ACCESS_KEY: "test", NODE_OPTIONS: "", ...env };
}

/** The outcome of a finished osls command. */
export interface OslsResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** A running osls command with its output collected so far. */
export interface OslsProcess {
  child: ChildProcess;
  output(): string;
  exited: Promise<number | null>;
}

/** Starts `serverless <args>` (osls) in `cwd`. */
export function startOsls(cwd: string, args: string[], env: Record<string, string> = {}): OslsProcess {
  const child = spawn(process.execPath, [OSLS, ...args], { cwd, env: oslsEnv(env), stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout?.on("data", (chunk) => (output += chunk));
  child.stderr?.on("data", (chunk) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return { child, output: () => output, exited };
}

/** Runs `serverless <args>` (osls) in `cwd` to completion, killing it after `timeoutMs`. */
export function runOsls(cwd: string, args: string[], env: Record<string, string> = {}, timeoutMs = 120_000): Promise<OslsResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [OSLS, ...args], { cwd, env: oslsEnv(env), stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => (stdout += chunk));
    child.stderr.on("data", (chunk) => (stderr += chunk));
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
