import { readFile } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { BackendWorkersError } from "../errors.ts";
import type { FunctionDefinition } from "./function-definition.ts";

/** A built function: its definition and where its bundles are. */
export interface BuiltFunction extends FunctionDefinition {
  /** Absolute path of the CommonJS bundle that exports `handler`. */
  bundle: string;
  /** Absolute path of the bundle that exports `schema` (and the optional publish hook). */
  schemaBundle: string;
}

/** What `build` writes beside the bundles; the listener and publisher read only this. */
export interface FunctionManifest {
  version: 1;
  builtAt: string;
  functions: BuiltFunction[];
}

/** The manifest file name inside a dist directory. */
export const MANIFEST_FILE = "manifest.json";

/** Reads `<distDir>/manifest.json`, turning its relative bundle paths into absolute ones. */
export async function loadManifest(distDir: string): Promise<FunctionManifest> {
  const file = resolve(distDir, MANIFEST_FILE);
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch {
    throw new BackendWorkersError("NOT_BUILT", `no function manifest at ${file}: run "backend-workers build" first`, { retryable: false });
  }
  const manifest = JSON.parse(text) as FunctionManifest;
  const base = dirname(file);
  return {
    ...manifest,
    functions: manifest.functions.map((fn) => ({ ...fn, bundle: resolve(base, fn.bundle), schemaBundle: resolve(base, fn.schemaBundle) })),
  };
}

/** Finds the function of a job type, or throws `UNKNOWN_JOB_TYPE` listing the known ones. */
export function findFunction(manifest: FunctionManifest, type: string): BuiltFunction {
  const fn = manifest.functions.find((candidate) => candidate.type === type || candidate.name === type);
  if (!fn) {
    const known = manifest.functions.map((candidate) => candidate.type).join(", ") || "(none)";
    throw new BackendWorkersError("UNKNOWN_JOB_TYPE", `unknown job type "${type}"; known types: ${known}`, { retryable: false, details: { type } });
  }
  return fn;
}
