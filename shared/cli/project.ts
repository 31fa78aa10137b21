import { existsSync, statSync } from "node:fs";
import { join } from "node:path";
import type { Config } from "../config.ts";
import { buildFunctions, newestMtime, type BuildReport } from "../functions/build-functions.ts";
import { loadManifest, MANIFEST_FILE, type FunctionManifest } from "../functions/manifest.ts";
import { readServerlessFunctions } from "../functions/serverless-config.ts";
import { PROJECT_ROOT } from "../project-root.ts";

export { PROJECT_ROOT };

/** Builds every function of serverless.yml into `config.distDir`. */
export async function buildProject(config: Config): Promise<BuildReport> {
  const definitions = await readServerlessFunctions(join(PROJECT_ROOT, "serverless.yml"));
  return buildFunctions({ definitions, functionsDir: join(PROJECT_ROOT, "functions"), outDir: config.distDir });
}

/**
 * The manifest, rebuilt first when a source is newer than it (esbuild takes well under a second),
 * so `start` never runs stale bundles. With DIST_DIR set (a build made elsewhere) it is read as is.
 */
export async function ensureBuilt(config: Config): Promise<FunctionManifest> {
  const manifestFile = join(config.distDir, MANIFEST_FILE);
  const sources = [join(PROJECT_ROOT, "functions"), join(PROJECT_ROOT, "shared"), join(PROJECT_ROOT, "serverless.yml")];
  if (config.autoBuild && existsSync(join(PROJECT_ROOT, "serverless.yml"))) {
    const builtAt = existsSync(manifestFile) ? statSync(manifestFile).mtimeMs : 0;
    if ((await newestMtime(sources)) > builtAt) await buildProject(config);
  }
  return loadManifest(config.distDir);
}
