import type { Config } from "../../config.ts";
import { formatCheck } from "../../doctor/doctor-check.ts";
import { runDoctor } from "../../doctor/run-doctor.ts";
import { resolveRedisUrl } from "../../embedded/resolve-redis-url.ts";
import { ensureBuilt } from "../project.ts";

/**
 * `doctor`: checks the configured Redis (REDIS_URL, or the embedded one) and prints one line per
 * check with its fix, then a summary. The exit code is 1 when any check failed, so it can gate a
 * deployment; warnings alone exit 0.
 */
export async function runDoctorCommand(config: Config): Promise<void> {
  const manifest = await ensureBuilt(config);
  const checks = await runDoctor({ redisUrl: await resolveRedisUrl(config), manifest, keyPrefix: config.keyPrefix });
  for (const check of checks) process.stdout.write(formatCheck(check) + "\n");
  const failed = checks.filter((check) => check.status === "fail").length;
  const warned = checks.filter((check) => check.status === "warn").length;
  process.stdout.write(failed > 0 ? `doctor: ${failed} of ${checks.length} checks failed\n` : `doctor: all ${checks.length} checks passed${warned ? ` (${warned} warning${warned > 1 ? "s" : ""})` : ""}\n`);
  if (failed > 0) process.exitCode = 1;
}
