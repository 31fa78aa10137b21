import { describe, expect, expectTypeOf, it } from "vitest";
import { z } from "zod";
import { BackendWorkersError } from "../../shared/errors.ts";
import { defineJobHandler, type JobContext } from "../../shared/handler/define-job-handler.ts";
import type { StreamEvent } from "../../shared/handler/stream-event.ts";
import { toStreamEvent } from "../../shared/listener/to-stream-event.ts";
import { createLogger } from "../../shared/logging/logger.ts";
import { newEnvelope } from "../../shared/job/envelope.ts";
import type { FunctionDeps } from "../../shared/ports/function-deps.ts";

const schema = z.object({ artifactId: z.number().int(), title: z.string() });
const host = (timeoutMs = 1000) => ({ deps: {} as FunctionDeps, logger: createLogger({ level: "silent" }), timeoutMs });
const event = (...payloads: string[]): StreamEvent =>
  toStreamEvent(
    "bw:{t}:jobs",
    payloads.map((payload, i) => ({ entryId: `${i + 1}-0`, job: newEnvelope("t", payload, { jobId: `job-${i + 1}` }), attempt: 2 })),
    { maxAttempts: 4 },
  );

describe("defineJobHandler", () => {
  it("infers the payload type from the schema and types ctx", () => {
    defineJobHandler({
      type: "t",
      schema,
      handle(payload, ctx) {
        expectTypeOf(payload).toEqualTypeOf<{ artifactId: number; title: string }>();
        expectTypeOf(ctx).toEqualTypeOf<JobContext>();
        expectTypeOf(ctx.signal).toEqualTypeOf<AbortSignal>();
      },
    });
  });

  it("runs each record in order with its job id and attempt; success means no failure entry", async () => {
    // Prepare
    const seen: [number, string, number, number | undefined][] = [];
    const handler = defineJobHandler({ type: "t", schema, handle: (payload, ctx) => void seen.push([payload.artifactId, ctx.jobId, ctx.attempt, ctx.maxAttempts]) });

    // Act
    const response = await handler(event('{"artifactId":1,"title":"a"}', '{"artifactId":2,"title":"b"}'), { backendWorkers: host() });

    // Assess
    expect(response).toEqual({ batchItemFailures: [], durationsMs: [expect.any(Number), expect.any(Number)] });
    expect(seen).toEqual([[1, "job-1", 2, 4], [2, "job-2", 2, 4]]);
  });

  it("reports invalid JSON and schema errors as final, thrown errors with their code, and goes on", async () => {
    // Prepare
    const handler = defineJobHandler({
      type: "t",
      schema,
      handle(payload) {
        if (payload.title === "flaky") throw new BackendWorkersError("SMTP_TEMPORARY", "try later");
        if (payload.title === "bad") throw new BackendWorkersError("REJECTED", "never", { retryable: false });
        if (payload.title === "plain") throw new Error("boom");
      },
    });

    // Act
    const response = await handler(event("{nope", '{"artifactId":"x","title":"a"}', '{"artifactId":1,"title":"flaky"}', '{"artifactId":1,"title":"bad"}', '{"artifactId":1,"title":"plain"}', '{"artifactId":1,"title":"ok"}'), { backendWorkers: host() });

    // Assess
    expect(response.batchItemFailures).toEqual([
      { itemIdentifier: "1-0", code: "INVALID_PAYLOAD", message: "payload is not valid JSON", retryable: false },
      { itemIdentifier: "2-0", code: "INVALID_PAYLOAD", message: expect.stringContaining("artifactId"), retryable: false },
      { itemIdentifier: "3-0", code: "SMTP_TEMPORARY", message: "try later", retryable: true },
      { itemIdentifier: "4-0", code: "REJECTED", message: "never", retryable: false },
      { itemIdentifier: "5-0", code: "HANDLER_ERROR", message: "boom", retryable: true },
    ]);
  });

  it("times out a body that ignores its signal, and aborts the signal of one that listens", async () => {
    // Prepare
    let aborted = false;
    const handler = defineJobHandler({
      type: "t",
      schema,
      handle: (payload, ctx) =>
        payload.title === "ignores"
          ? new Promise(() => undefined)
          : new Promise((_, reject) => ctx.signal.addEventListener("abort", () => ((aborted = true), reject(ctx.signal.reason)))),
    });

    // Act
    const response = await handler(event('{"artifactId":1,"title":"ignores"}', '{"artifactId":2,"title":"listens"}'), { backendWorkers: host(50) });

    // Assess
    expect(response.batchItemFailures.map((failure) => [failure.itemIdentifier, failure.code, failure.retryable])).toEqual([
      ["1-0", "TIMEOUT", true],
      ["2-0", "TIMEOUT", true],
    ]);
    expect(aborted).toBe(true);
  });

  it("gives every record of a batch its own full timeout, however long the records before it ran", async () => {
    // Prepare: each record runs 60 % of the timeout, so a timer counted from the batch's start
    // (or from the first record's) would cut the second one short.
    const timeoutMs = 200;
    const handler = defineJobHandler({
      type: "t",
      schema,
      handle: (payload) => (payload.title === "hangs" ? new Promise(() => undefined) : new Promise((resolve) => setTimeout(resolve, timeoutMs * 0.6))),
    });

    // Act
    const response = await handler(event('{"artifactId":1,"title":"a"}', '{"artifactId":2,"title":"b"}', '{"artifactId":3,"title":"c"}', '{"artifactId":4,"title":"hangs"}', '{"artifactId":5,"title":"d"}'), {
      backendWorkers: host(timeoutMs),
    });

    // Assess
    expect(response.batchItemFailures.map((failure) => [failure.itemIdentifier, failure.code])).toEqual([["4-0", "TIMEOUT"]]);
    expect(response.durationsMs).toEqual([expect.any(Number), expect.any(Number), expect.any(Number), expect.any(Number), expect.any(Number)]);
  });

  it("carries its type and schema for the publisher", () => {
    const handler = defineJobHandler({ type: "t", schema, handle: () => undefined });
    expect(handler.jobType).toBe("t");
    expect(handler.schema).toBe(schema);
  });
});
