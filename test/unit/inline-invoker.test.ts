import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { BuiltFunction } from "../../shared/functions/manifest.ts";
import type { StreamEvent } from "../../shared/handler/stream-event.ts";
import { createInlineInvoker } from "../../shared/invokers/inline-invoker.ts";
import { newEnvelope } from "../../shared/job/envelope.ts";
import { toStreamEvent } from "../../shared/listener/to-stream-event.ts";
import { createLogger } from "../../shared/logging/logger.ts";
import type { FunctionDeps } from "../../shared/ports/function-deps.ts";

/** A function whose bundle is a plain SQS-style handler (no defineJobHandler), recording what it got. */
function plainSqsFunction(extra = ""): BuiltFunction {
  const dir = mkdtempSync(join(tmpdir(), "bw-inline-"));
  const bundle = join(dir, "index.cjs");
  writeFileSync(bundle, `exports.handler = async (event) => { globalThis.__bwPlainSeen = event; return { batchItemFailures: [] }; };\n${extra}`);
  return { name: "plain", type: "plain", bundle, timeoutMs: 1000 } as BuiltFunction;
}

describe("inline invoker", () => {
  it("asks for md5OfBody for a plain SQS handler, and the record then carries SQS's digest", async () => {
    // Prepare
    const fn = plainSqsFunction();
    const invoker = createInlineInvoker({ logger: createLogger({ level: "silent" }), depsFor: () => ({}) as FunctionDeps });
    const job = newEnvelope("plain", '{"a":1}');

    // Act
    const digest = invoker.needsDigest?.(fn) ?? true;
    await invoker.invoke(fn, toStreamEvent("bw:{plain}:jobs", [{ entryId: "1-0", job, attempt: 1 }], { digest }));

    // Assess
    const seen = (globalThis as { __bwPlainSeen?: StreamEvent }).__bwPlainSeen;
    expect(digest).toBe(true);
    expect(seen?.Records[0]?.md5OfBody).toBe("bb6cb5c68df4652941caf652a366f2d8"); // md5 of {"a":1}, as `printf '{"a":1}' | md5sum` gives it
    await invoker.close();
  });

  it("does not ask for it for a defineJobHandler function, which never reads it", () => {
    const invoker = createInlineInvoker({ logger: createLogger({ level: "silent" }), depsFor: () => ({}) as FunctionDeps });
    expect(invoker.needsDigest?.(plainSqsFunction('exports.handler.jobType = "plain";\n'))).toBe(false);
  });

  it("leaves the digest out only when told to", () => {
    const job = newEnvelope("t", "{}");
    expect(toStreamEvent("s", [{ entryId: "1-0", job, attempt: 1 }]).Records[0]).toHaveProperty("md5OfBody", "99914b932bd37a50b983c5e7c90ae93b");
    expect(toStreamEvent("s", [{ entryId: "1-0", job, attempt: 1 }], { digest: false }).Records[0]).not.toHaveProperty("md5OfBody");
  });
});
