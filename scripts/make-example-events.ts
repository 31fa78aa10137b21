// Writes functions/<name>/example-event.json for every function of serverless.yml: the
// SQS-shaped batch the function receives for its example.json (see example-event.ts), for
// `serverless invoke local -f <name> --path functions/<name>/example-event.json`.
//
//   node bin/run-ts.mjs scripts/make-example-events.ts          write them
//   node bin/run-ts.mjs scripts/make-example-events.ts --check  exit 1 if one is out of date
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { PROJECT_ROOT } from "../shared/cli/project.ts";
import { readServerlessFunctions } from "../shared/functions/serverless-config.ts";
import { exampleEvent } from "./example-event.ts";

const check = process.argv.includes("--check");
const functionsDir = join(PROJECT_ROOT, "functions");
let stale = 0;
for (const fn of await readServerlessFunctions(join(PROJECT_ROOT, "serverless.yml"))) {
  const file = join(functionsDir, fn.name, "example-event.json");
  const text = JSON.stringify(await exampleEvent(fn, functionsDir), null, 2) + "\n";
  const current = await readFile(file, "utf8").catch(() => "");
  if (current === text) {
    console.log(`${file}: up to date`);
  } else if (check) {
    console.log(`${file}: out of date`);
    stale++;
  } else {
    await writeFile(file, text);
    console.log(`${file}: written`);
  }
}
if (stale > 0) {
  console.log(`run: node bin/run-ts.mjs scripts/make-example-events.ts`);
  process.exitCode = 1;
}
