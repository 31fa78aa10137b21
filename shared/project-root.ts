import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * The repository root (serverless.yml, functions/, shared/), found by walking up to this
 * package's package.json: the same code runs from shared/ (tests, tsx) and from the CLI bundle in
 * dist/cli/, so a fixed number of ".." would be wrong in one of them.
 */
export const PROJECT_ROOT: string = findRoot(dirname(fileURLToPath(import.meta.url)));

function findRoot(start: string): string {
  for (let dir = start; ; dir = dirname(dir)) {
    const manifest = join(dir, "package.json");
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, "utf8")) as { name?: string }).name === "backend-workers") return dir;
    if (dirname(dir) === dir) return start;
  }
}
