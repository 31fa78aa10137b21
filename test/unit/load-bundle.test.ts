import { execFileSync } from "node:child_process";
import { hash } from "node:crypto";
import { mkdirSync, mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const loader = join(import.meta.dirname, "..", "..", "shared", "functions", "load-bundle.cjs");

/** Loads `bundle` in a fresh process (as a worker start would) and returns what its `answer()` says. */
function loadInNewProcess(bundle: string): string {
  return execFileSync(process.execPath, ["-e", `process.stdout.write(String(require(${JSON.stringify(loader)}).loadBundle(${JSON.stringify(bundle)}).answer()))`], { encoding: "utf8" });
}

const caches = (dir: string) => readdirSync(dir).filter((name) => name.endsWith(".v8cache"));

describe("loadBundle", () => {
  it("keeps a code cache beside the bundle and never runs a stale one after a rebuild", () => {
    // Prepare: two builds of the same length, so V8's own length check cannot tell them apart.
    const dir = mkdtempSync(join(tmpdir(), "bw-load-bundle-"));
    const bundle = join(dir, "index.js");
    // The value sits in the eagerly compiled top level: a stale cache would return it.
    writeFileSync(bundle, 'const value = "first";\nexports.answer = () => value;\n');

    // Act
    const first = loadInNewProcess(bundle);
    const cachedAfterFirst = caches(dir);
    const again = loadInNewProcess(bundle);
    writeFileSync(bundle, 'const value = "other";\nexports.answer = () => value;\n');
    const rebuilt = loadInNewProcess(bundle);

    // Assess
    expect([first, again, rebuilt]).toEqual(["first", "first", "other"]);
    expect(cachedAfterFirst).toHaveLength(1);
    expect(caches(dir)).toHaveLength(1);
    expect(caches(dir)).not.toEqual(cachedAfterFirst);
  });

  it("gives the bundle require, module and __dirname like Node's loader, and loads it once per process", () => {
    const dir = mkdtempSync(join(tmpdir(), "bw-load-bundle-"));
    const bundle = join(dir, "index.js");
    writeFileSync(bundle, 'globalThis.__bwLoads = (globalThis.__bwLoads ?? 0) + 1;\nexports.answer = () => [require("node:path").basename(__dirname) === require("node:path").basename(module.filename.replace(/\\/index\\.js$/, "")), globalThis.__bwLoads].join(",");\n');
    const output = execFileSync(process.execPath, ["-e", `const { loadBundle } = require(${JSON.stringify(loader)}); loadBundle(${JSON.stringify(bundle)}); process.stdout.write(String(loadBundle(${JSON.stringify(bundle)}).answer()))`], { encoding: "utf8" });
    expect(output).toBe("true,1");
  });

  it("runs without a cache when none can be read or written, leaving nothing behind", () => {
    // Prepare: the cache's path is taken by a directory (as root, a read-only mode would not stop a write).
    const dir = mkdtempSync(join(tmpdir(), "bw-load-bundle-"));
    const bundle = join(dir, "index.js");
    const source = 'exports.answer = () => "ok";\n';
    writeFileSync(bundle, source);
    mkdirSync(join(dir, `index.js.${hash("sha1", source, "hex").slice(0, 16)}.v8cache`, "taken"), { recursive: true });

    // Act + Assess
    expect(loadInNewProcess(bundle)).toBe("ok");
    expect(readdirSync(dir).sort()).toEqual([`index.js`, `index.js.${hash("sha1", source, "hex").slice(0, 16)}.v8cache`]);
  });
});
