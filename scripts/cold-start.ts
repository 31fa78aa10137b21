// Prints each function's bundle size and cold-start import time: a fresh `node` per run requires
// the bundle (what Lambda's init phase does before the first invocation) and reports how long
// the require took; the whole process time is shown beside a bare `node -e ""` for scale.
//
//   node bin/run-ts.mjs scripts/cold-start.ts [runs=10]
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PROJECT_ROOT } from "../shared/cli/project.ts";
import { buildFunctions } from "../shared/functions/build-functions.ts";
import { readServerlessFunctions } from "../shared/functions/serverless-config.ts";

const runs = Number(process.argv[2] ?? 10);
const outDir = mkdtempSync(join(tmpdir(), "bw-cold-"));
const definitions = await readServerlessFunctions(join(PROJECT_ROOT, "serverless.yml"));
await buildFunctions({ definitions, functionsDir: join(PROJECT_ROOT, "functions"), outDir });

const stats = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return { min: sorted[0] as number, median: sorted[Math.floor(sorted.length / 2)] as number, max: sorted[sorted.length - 1] as number };
};
const fmt = ({ min, median, max }: { min: number; median: number; max: number }) => `${median.toFixed(1)} ms (min ${min.toFixed(1)}, max ${max.toFixed(1)})`;

const processMs = (script: string): number => {
  const started = performance.now();
  const run = spawnSync(process.execPath, ["-e", script], { cwd: outDir, env: { PATH: process.env.PATH }, encoding: "utf8" });
  if (run.status !== 0) throw new Error(run.stderr);
  return performance.now() - started;
};

console.log(`node ${process.version}, ${runs} runs each, bundles built (minified) into ${outDir}`);
console.log(`bare node -e "": process ${fmt(stats(Array.from({ length: runs }, () => processMs(""))))}`);
for (const fn of definitions) {
  const bundle = join(outDir, "functions", fn.name, "index.js");
  const requireMs: number[] = [];
  const totalMs: number[] = [];
  const script = `const t = process.hrtime.bigint(); const m = require(${JSON.stringify(bundle)}); if (typeof m.handler !== "function") process.exit(1); process.stdout.write(String(Number(process.hrtime.bigint() - t) / 1e6));`;
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    const run = spawnSync(process.execPath, ["-e", script], { cwd: outDir, env: { PATH: process.env.PATH }, encoding: "utf8" });
    if (run.status !== 0) throw new Error(`${fn.name}: ${run.stderr}`);
    totalMs.push(performance.now() - started);
    requireMs.push(Number(run.stdout));
  }
  const size = statSync(bundle).size;
  const gzip = gzipSync(readFileSync(bundle)).length;
  console.log(`${fn.name}: index.js ${(size / 1024).toFixed(1)} KiB (gzip ${(gzip / 1024).toFixed(1)} KiB); require ${fmt(stats(requireMs))}; process ${fmt(stats(totalMs))}`);
}
rmSync(outDir, { recursive: true, force: true });
