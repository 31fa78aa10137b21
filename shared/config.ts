import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { BackendWorkersError } from "./errors.ts";

/** Log levels accepted by `LOG_LEVEL` (pino's, as Tuleap's sys_logger_level maps onto them). */
export const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/**
 * The typed, validated configuration of one process. Built once by {@link loadConfig} from the
 * environment; nothing else in the code base reads `process.env`.
 */
export interface Config {
  /** Redis to use; undefined means "the embedded default under varDir". */
  redisUrl: string | undefined;
  /** Consumers per function in this process (Tuleap's sys_nb_backend_workers). */
  workers: number;
  logFile: string;
  logLevel: LogLevel;
  /** Key prefix of every key this system writes. */
  keyPrefix: string;
  /** Where the embedded Redis, logs, mails and imports live. */
  varDir: string;
  /** Where `build` writes the function bundles and the manifest the listener reads. */
  distDir: string;
  /** Rebuild stale bundles before running; off when DIST_DIR points at a build made elsewhere. */
  autoBuild: boolean;
  smtpUrl: string | undefined;
  mailFrom: string;
  httpHost: string;
  httpPort: number;
  apiToken: string | undefined;
  metricsPassword: string | undefined;
  /** How long SIGTERM waits for in-flight jobs before leaving them pending. */
  shutdownGraceMs: number;
  /** Key that encrypts secrets stored beside jobs (Jira credentials), 32 bytes as hex or base64. */
  secretsKey: string | undefined;
  importDir: string;
  /** The Lambda API the `lambda` invoker calls (serverless-offline's); undefined means AWS. */
  lambdaEndpoint: string | undefined;
  /** AWS region of the Lambda functions (same default as serverless.yml). */
  awsRegion: string;
  /** Deployed names are `<prefix><function>`; osls names them `<service>-<stage>-<function>`. */
  lambdaFunctionPrefix: string;
  /**
   * Runs every function with this invoker whatever serverless.yml says (e.g. `lambda` for a
   * listener next to Redis that drives AWS Lambda); undefined keeps each function's own.
   */
  functionInvoker: "inline" | "isolated" | "lambda" | undefined;
}

/** The error of a bad environment variable; its message is the one line printed at start. */
export class ConfigError extends BackendWorkersError {
  constructor(variable: string, problem: string) {
    super("INVALID_CONFIG", `${variable}: ${problem}`, { retryable: false, details: { variable } });
    this.name = "ConfigError";
  }
}

type Env = Record<string, string | undefined>;

function positiveInt(env: Env, name: string, fallback: number, min = 1, max = Number.MAX_SAFE_INTEGER): number {
  const raw = env[name]?.trim();
  if (raw === undefined || raw === "") return fallback;
  if (!/^\d+$/.test(raw)) throw new ConfigError(name, `must be an integer from ${min} to ${max}, got "${raw}"`);
  const value = Number(raw);
  if (value < min || value > max) throw new ConfigError(name, `must be an integer from ${min} to ${max}, got ${value}`);
  return value;
}

function redisUrl(env: Env): string | undefined {
  const raw = env.REDIS_URL?.trim();
  if (!raw) return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError("REDIS_URL", "is not a URL; expected redis://[:password@]host:port[/db] or rediss://...");
  }
  if (url.protocol !== "redis:" && url.protocol !== "rediss:") {
    throw new ConfigError("REDIS_URL", `scheme must be redis:// or rediss://, got ${url.protocol}//`);
  }
  return raw;
}

function optionalUrl(env: Env, name: string, schemes: string[]): string | undefined {
  const raw = env[name]?.trim();
  if (!raw) return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(name, `is not a URL; expected ${schemes.join(" or ")}//...`);
  }
  if (!schemes.includes(url.protocol)) {
    throw new ConfigError(name, `scheme must be ${schemes.join(" or ")}//, got ${url.protocol}//`);
  }
  return raw;
}

/**
 * Reads and validates the environment. A `.env` file in the working directory is loaded first
 * (variables already set win). A bad value throws a {@link ConfigError} naming the variable.
 */
export function loadConfig(env: Env = readProcessEnv()): Config {
  const logLevel = (env.LOG_LEVEL?.trim() || "info").toLowerCase();
  if (!(LOG_LEVELS as readonly string[]).includes(logLevel)) {
    throw new ConfigError("LOG_LEVEL", `must be one of ${LOG_LEVELS.join(", ")}, got "${env.LOG_LEVEL}"`);
  }
  const metricsPassword = env.METRICS_PASSWORD || undefined;
  if (metricsPassword !== undefined && metricsPassword.length < 16) {
    throw new ConfigError("METRICS_PASSWORD", "must be at least 16 characters long");
  }
  const apiToken = env.API_TOKEN || undefined;
  if (apiToken !== undefined && apiToken.length < 16) {
    throw new ConfigError("API_TOKEN", "must be at least 16 characters long");
  }
  const keyPrefix = env.REDIS_KEY_PREFIX?.trim() || "bw";
  if (!/^[A-Za-z0-9_.-]+$/.test(keyPrefix)) {
    throw new ConfigError("REDIS_KEY_PREFIX", "may only hold letters, digits, '_', '.' and '-'");
  }
  const varDir = resolve(env.VAR_DIR?.trim() || "var");
  // Without SECRETS_KEY, the key the embedded default generated under var/ is used (if any).
  const secretsKey = env.SECRETS_KEY?.trim() || readEmbeddedSecretsKey(varDir);
  if (secretsKey !== undefined && decodeKey(secretsKey) === undefined) {
    throw new ConfigError("SECRETS_KEY", "must be 32 bytes written as 64 hex digits or base64");
  }
  return {
    redisUrl: redisUrl(env),
    workers: positiveInt(env, "BACKEND_WORKERS", 2, 1, 1000),
    logFile: resolve(env.LOG_FILE?.trim() || resolve(varDir, "log", "worker_log")),
    logLevel: logLevel as LogLevel,
    keyPrefix,
    varDir,
    distDir: resolve(env.DIST_DIR?.trim() || "dist"),
    autoBuild: !env.DIST_DIR?.trim(),
    smtpUrl: optionalUrl(env, "SMTP_URL", ["smtp:", "smtps:"]),
    mailFrom: env.MAIL_FROM?.trim() || "backend-workers <noreply@localhost>",
    httpHost: env.HTTP_HOST?.trim() || "127.0.0.1",
    httpPort: positiveInt(env, "HTTP_PORT", 8383, 0, 65535),
    apiToken,
    metricsPassword,
    shutdownGraceMs: positiveInt(env, "SHUTDOWN_GRACE_MS", 30_000, 0),
    secretsKey,
    importDir: resolve(env.IMPORT_DIR?.trim() || resolve(varDir, "imports")),
    lambdaEndpoint: optionalUrl(env, "LAMBDA_ENDPOINT", ["http:", "https:"]),
    awsRegion: env.AWS_REGION?.trim() || "eu-west-1",
    lambdaFunctionPrefix: lambdaFunctionPrefix(env),
    functionInvoker: functionInvoker(env),
  };
}

function functionInvoker(env: Env): Config["functionInvoker"] {
  const raw = env.FUNCTION_INVOKER?.trim();
  if (!raw) return undefined;
  if (raw !== "inline" && raw !== "isolated" && raw !== "lambda") throw new ConfigError("FUNCTION_INVOKER", `must be inline, isolated or lambda, got "${raw}"`);
  return raw;
}

function lambdaFunctionPrefix(env: Env): string {
  const prefix = env.LAMBDA_FUNCTION_PREFIX?.trim() ?? "backend-workers-dev-";
  // Lambda function names are letters, digits, '-' and '_'.
  if (!/^[A-Za-z0-9_-]*$/.test(prefix)) throw new ConfigError("LAMBDA_FUNCTION_PREFIX", "may only hold letters, digits, '-' and '_'");
  return prefix;
}

/** Decodes a 32-byte key given as hex or base64; undefined when it is neither. */
export function decodeKey(text: string): Buffer | undefined {
  const buffer = /^[0-9a-fA-F]{64}$/.test(text) ? Buffer.from(text, "hex") : Buffer.from(text, "base64");
  return buffer.length === 32 ? buffer : undefined;
}

/** Where the embedded default keeps its generated secrets key. */
export function embeddedSecretsKeyFile(varDir: string): string {
  return resolve(varDir, "secrets.key");
}

function readEmbeddedSecretsKey(varDir: string): string | undefined {
  const file = embeddedSecretsKeyFile(varDir);
  return existsSync(file) ? readFileSync(file, "utf8").trim() || undefined : undefined;
}

function readProcessEnv(): Env {
  // Node >= 20.12 reads .env natively; values already in the environment are kept.
  if (existsSync(".env")) process.loadEnvFile(".env");
  return process.env;
}

/** Hides the password of a Redis or SMTP URL so it can be logged or printed. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = "***";
    return parsed.toString();
  } catch {
    return "<invalid url>";
  }
}

/**
 * The environment for a child process that runs a function bundle on its own (the isolated
 * invoker): this process's environment with the values resolved here (e.g. the embedded Redis URL).
 */
export function childProcessEnv(overrides: Record<string, string>): NodeJS.ProcessEnv {
  return { ...process.env, ...overrides };
}
