import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { createLogger, flushLogger } from "../../shared/logging/logger.ts";
import { waitFor } from "../helpers/wait-for.ts";

const root = join(import.meta.dirname, "..", "..");
const lines = (file: string) => readFileSync(file, "utf8").trim().split("\n").map((line) => JSON.parse(line) as { msg: string; n?: number; password?: string });

describe("logger", () => {
  it("writes every line, in order, secrets redacted", async () => {
    // Prepare
    const file = join(mkdtempSync(join(tmpdir(), "bw-log-")), "worker_log");
    const logger = createLogger({ level: "info", file });

    // Act: more lines than one event-loop turn's batch, across several turns.
    for (let turn = 0; turn < 3; turn++) {
      for (let i = 0; i < 500; i++) logger.info({ n: turn * 500 + i, password: "hunter2" }, "line");
      await new Promise((resolve) => setImmediate(resolve));
    }
    await flushLogger(logger);

    // Assess: the last line reaches the file (SonicBoom writes asynchronously).
    await waitFor(() => existsSync(file) && lines(file).length >= 1500, { message: "not every line was written" });
    const written = lines(file);
    expect(written.map((line) => line.n)).toEqual(Array.from({ length: 1500 }, (_, i) => i));
    expect(written.every((line) => line.password === "***")).toBe(true);
  });

  it("loses no queued line when the process exits right after logging", () => {
    // Prepare
    const dir = mkdtempSync(join(tmpdir(), "bw-log-exit-"));
    const file = join(dir, "worker_log");
    const script = join(dir, "exit.mts"); // .mts: ESM outside the repo's package
    // The script waits for SonicBoom to open the file (an exit before that loses lines with or
    // without batching), then exits in the same turn as it logs.
    writeFileSync(script, `import { existsSync } from "node:fs";\nimport { createLogger } from ${JSON.stringify(join(root, "shared/logging/logger.ts"))};\nconst logger = createLogger({ level: "info", file: ${JSON.stringify(file)} });\nwhile (!existsSync(${JSON.stringify(file)})) await new Promise((resolve) => setTimeout(resolve, 5));\nfor (let n = 0; n < 100; n++) logger.info({ n }, "before exit");\nprocess.exit(3);\n`);

    // Act
    let status = 0;
    try {
      execFileSync(process.execPath, [join(root, "bin/run-ts.mjs"), script], { stdio: "ignore" });
    } catch (error) {
      status = (error as { status: number }).status;
    }

    // Assess
    expect(status).toBe(3);
    expect(lines(file).map((line) => line.n)).toEqual(Array.from({ length: 100 }, (_, n) => n));
  });
});
