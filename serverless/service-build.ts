import { join } from "node:path";
import { buildFunctions, type BuildReport } from "../shared/functions/build-functions.ts";
import { readServerlessFunctions } from "../shared/functions/serverless-config.ts";

/** Options of {@link buildService}. */
export interface ServiceBuildOptions {
  /** The directory of serverless.yml: handlers are paths relative to it. */
  serviceDir: string;
  /** The serverless.yml (or `--config`) file osls loaded. */
  configFile: string;
  /** Where `<name>/handler.ts` of each function lives. */
  functionsDir: string;
}

/**
 * Bundles the functions of a serverless service into `<serviceDir>/dist`, where its handlers
 * (`dist/functions/<name>/index.handler`) point, with the same reader and esbuild build as
 * `backend-workers build`, so what osls zips, invokes locally or serves offline is exactly what
 * the listener runs. DIST_DIR does not apply here: the handler paths are fixed by serverless.yml.
 */
export async function buildService(options: ServiceBuildOptions): Promise<BuildReport> {
  const definitions = await readServerlessFunctions(options.configFile);
  return buildFunctions({ definitions, functionsDir: options.functionsDir, outDir: serviceDistDir(options.serviceDir) });
}

/** Where {@link buildService} writes the bundles and the manifest of a service. */
export function serviceDistDir(serviceDir: string): string {
  return join(serviceDir, "dist");
}
