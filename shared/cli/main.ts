import { Command, InvalidArgumentError, Option } from "commander";
import { loadConfig, type Config } from "../config.ts";
import { errorCode, errorMessage } from "../errors.ts";
import { registerDlqCommands } from "./commands/dlq.ts";
import { registerInvokeCommand } from "./commands/invoke.ts";

// Each command's module is imported when the command runs (the CLI bundle is code-split), so
// `publish` does not load Fastify and a `worker` process does not hold the HTTP stack in memory.
const runStart = async (...args: Parameters<typeof import("./commands/start.ts").runStart>) => (await import("./commands/start.ts")).runStart(...args);
const runServe = async (...args: Parameters<typeof import("./commands/serve.ts").runServe>) => (await import("./commands/serve.ts")).runServe(...args);
const runDoctorCommand = async (...args: Parameters<typeof import("./commands/doctor.ts").runDoctorCommand>) => (await import("./commands/doctor.ts")).runDoctorCommand(...args);
const runPublish = async (...args: Parameters<typeof import("./commands/publish.ts").runPublish>) => (await import("./commands/publish.ts")).runPublish(...args);
const runStatus = async (...args: Parameters<typeof import("./commands/status.ts").runStatus>) => (await import("./commands/status.ts")).runStatus(...args);
const buildProject = async (...args: Parameters<typeof import("./project.ts").buildProject>) => (await import("./project.ts")).buildProject(...args);

/**
 * The `backend-workers` CLI. Configuration comes from the environment (and `.env`); a bad value
 * stops the command with one line naming the variable. Every failure prints one line and exits
 * non-zero; nothing is swallowed.
 */
const program = new Command("backend-workers")
  .description("Redis-stream backend workers running serverless-style functions")
  .showHelpAfterError();

let cachedConfig: Config | undefined;
const config = (): Config => (cachedConfig ??= loadConfig());

program
  .command("start")
  .description("run the workers and the HTTP API (with the embedded Redis when REDIS_URL is unset)")
  .option("--only <types...>", "serve only these job types")
  .action((options: { only?: string[] }) => runStart(config(), { only: options.only }));

program
  .command("worker")
  .description("run the workers only (start without HTTP)")
  .option("--only <types...>", "serve only these job types")
  .action((options: { only?: string[] }) => runStart(config(), { only: options.only, http: false }));

program
  .command("serve")
  .description("run the HTTP API only: POST /jobs/:type, /health, /ready, /metrics, /status")
  .action(() => runServe(config()));

program
  .command("doctor")
  .description("check the Redis setup (password, AOF, eviction, version, latency, TLS, groups); exit 1 on a failure")
  .action(() => runDoctorCommand(config()));

program
  .command("publish")
  .description("validate a payload and add a job; prints the job id")
  .argument("<type>", "job type (function name)")
  .argument("<payload>", "JSON text, @file, or - for stdin")
  .addOption(new Option("--delay <ms>", "run no earlier than this many ms from now").argParser(nonNegativeInt))
  .option("--idempotency-key <key>", "add the job at most once per key (24 h window)")
  .option("--batch", "the payload is a JSON array; add one job per item")
  .action((type: string, payload: string, options: { delay?: number; idempotencyKey?: string; batch?: boolean }) =>
    runPublish(config(), type, payload, { delayMs: options.delay, idempotencyKey: options.idempotencyKey, batch: options.batch }),
  );

program
  .command("status")
  .description("backlog, pending, oldest pending age, workers and dead letters per function")
  .option("--json", "print JSON")
  .option("--watch", "redraw every second, with rates (jobs/s)")
  .action((options: { json?: boolean; watch?: boolean }) => runStatus(config(), options));

program
  .command("build")
  .description("bundle every function of serverless.yml with esbuild into dist/")
  .action(async () => {
    const report = await buildProject(config());
    for (const [file, bytes] of Object.entries(report.sizes).sort()) process.stdout.write(`${file}\t${(bytes / 1024).toFixed(1)} KiB\n`);
    process.stdout.write(`built ${report.manifest.functions.length} function(s) into ${config().distDir}\n`);
  });

registerDlqCommands(program, config);
registerInvokeCommand(program, config);

function nonNegativeInt(value: string): number {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError(`expected a non-negative integer, got "${value}"`);
  return Number(value);
}

try {
  await program.parseAsync(process.argv);
} catch (error) {
  process.stderr.write(`backend-workers: ${errorMessage(error)}${errorCode(error) === "HANDLER_ERROR" ? "" : ` [${errorCode(error)}]`}\n`);
  process.exitCode = 1;
}
