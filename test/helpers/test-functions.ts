import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { buildFunctions } from "../../shared/functions/build-functions.ts";
import { toFunctionDefinition, redisStreamEventSchema, type FunctionDefinition } from "../../shared/functions/function-definition.ts";
import { loadManifest, MANIFEST_FILE, type BuiltFunction, type FunctionManifest } from "../../shared/functions/manifest.ts";

/** Where the global setup builds the test functions. */
export const TEST_BUILD_DIR = join(import.meta.dirname, "..", ".build");

/** The definition of the `probe` test function with fast test-friendly settings. */
export function probeDefinition(): FunctionDefinition {
  const event = redisStreamEventSchema.parse({ batchSize: 10, maximumRetryAttempts: 3, backoff: { baseMs: 20, maxMs: 200 }, visibilityTimeout: 5 });
  return toFunctionDefinition("probe", 5, 256, event);
}

/** Builds the test functions (once per run, from the global setup). */
export async function buildTestFunctions(): Promise<void> {
  await buildFunctions({ definitions: [probeDefinition()], functionsDir: join(import.meta.dirname, "..", "fixtures", "functions"), outDir: TEST_BUILD_DIR, minify: false });
}

/** The test manifest with per-function overrides (same bundles, other settings). */
export async function testManifest(overrides: Partial<BuiltFunction> = {}): Promise<FunctionManifest> {
  const manifest = await loadManifest(TEST_BUILD_DIR);
  return { ...manifest, functions: manifest.functions.map((fn) => ({ ...fn, ...overrides })) };
}

/** Writes a manifest (absolute bundle paths) to `dir`, for worker processes started with DIST_DIR. */
export function writeManifest(dir: string, manifest: FunctionManifest): string {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, MANIFEST_FILE), JSON.stringify(manifest, null, 2));
  return dir;
}
