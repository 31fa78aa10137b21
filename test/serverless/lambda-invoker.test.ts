import { afterEach, describe, expect, inject, it, vi } from "vitest";
import type { BuiltFunction } from "../../shared/functions/manifest.ts";
import type { StreamEvent } from "../../shared/handler/stream-event.ts";
import { createLambdaInvoker, type LambdaInvokerOptions } from "../../shared/invokers/lambda-invoker.ts";
import { newEnvelope } from "../../shared/job/envelope.ts";
import { toStreamEvent } from "../../shared/listener/to-stream-event.ts";
import { createLogger } from "../../shared/logging/logger.ts";
import { fieldsToObject } from "../../shared/job/envelope.ts";
import { probeHarness } from "../helpers/probe-harness.ts";
import { testManifest } from "../helpers/test-functions.ts";
import { waitFor } from "../helpers/wait-for.ts";
import { partialFailure, startFakeLambda, type FakeLambda, type FakeReply } from "./fake-lambda.ts";

const redisUrl = inject("redisUrl");
const logger = createLogger({ level: "silent" });
const credentials = { accessKeyId: "test", secretAccessKey: "test" };

async function probe(overrides: Partial<BuiltFunction> = {}): Promise<BuiltFunction> {
  const manifest = await testManifest(overrides);
  return manifest.functions[0] as BuiltFunction;
}

function batch(...ids: string[]): StreamEvent {
  return toStreamEvent("bw:{probe}:jobs", ids.map((id, index) => ({ entryId: `${index + 1}-0`, job: newEnvelope("probe", JSON.stringify({ id })), attempt: 1 })));
}

describe("lambda invoker", () => {
  const cleanups: (() => Promise<unknown> | void)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    vi.unstubAllEnvs();
  });

  async function fixture(reply: (event: StreamEvent) => FakeReply, options: Partial<LambdaInvokerOptions> = {}) {
    const lambda: FakeLambda = await startFakeLambda((call) => reply(call.event));
    cleanups.push(() => lambda.close());
    const invoker = createLambdaInvoker({ logger, region: "eu-west-1", endpoint: lambda.endpoint, credentials, functionPrefix: "svc-dev-", ...options });
    cleanups.push(() => invoker.close());
    return { lambda, invoker };
  }

  it("sends the batch to <prefix><name> and fails only the records the reply names", async () => {
    // Prepare
    const { lambda, invoker } = await fixture(() => partialFailure(["2-0"], { code: "NOPE", retryable: false }));
    const event = batch("a", "b");

    // Act
    const response = await invoker.invoke(await probe(), event);

    // Assess
    expect(lambda.calls).toHaveLength(1);
    expect(lambda.calls[0]?.functionName).toBe("svc-dev-probe");
    expect(lambda.calls[0]?.event).toEqual(event);
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: "2-0", code: "NOPE", retryable: false }]);
  });

  it("treats an empty, null or list-less reply as a complete success, as Lambda's SQS mapping does", async () => {
    // Prepare
    const replies = ["", "null", "{}", '{"batchItemFailures":null}'];
    const { invoker } = await fixture(() => ({ body: replies.shift() }));
    const fn = await probe();

    // Act
    const responses = [];
    for (let i = 0; i < 4; i++) responses.push(await invoker.invoke(fn, batch("a")));

    // Assess
    expect(responses).toEqual(Array(4).fill({ batchItemFailures: [] }));
  });

  it("rejects the whole batch as retryable when the function errors", async () => {
    // Prepare
    const { invoker } = await fixture(() => ({ headers: { "x-amz-function-error": "Unhandled" }, body: JSON.stringify({ errorType: "TypeError", errorMessage: "boom" }) }));

    // Act
    const outcome = invoker.invoke(await probe(), batch("a", "b"));

    // Assess
    await expect(outcome).rejects.toMatchObject({ code: "LAMBDA_FUNCTION_ERROR", retryable: true, message: expect.stringContaining("TypeError: boom") });
  });

  it("reports Lambda's own timeout as a retryable TIMEOUT", async () => {
    // Prepare
    const { invoker } = await fixture(() => ({
      headers: { "x-amz-function-error": "Unhandled" },
      body: JSON.stringify({ errorType: "Sandbox.Timedout", errorMessage: "RequestId: x Error: Task timed out after 5.00 seconds" }),
    }));

    // Act + Assess
    await expect(invoker.invoke(await probe(), batch("a"))).rejects.toMatchObject({ code: "TIMEOUT", retryable: true });
  });

  it("rejects as retryable when Lambda throttles", async () => {
    // Prepare
    const { invoker } = await fixture(() => ({
      status: 429,
      headers: { "x-amzn-errortype": "TooManyRequestsException" },
      body: JSON.stringify({ message: "Rate Exceeded.", Reason: "ReservedFunctionConcurrentInvocationLimitExceeded" }),
    }));

    // Act + Assess
    await expect(invoker.invoke(await probe(), batch("a"))).rejects.toMatchObject({ code: "LAMBDA_THROTTLED", retryable: true });
  });

  it("gives up with a retryable TIMEOUT when no reply comes within the function's timeout and the margin", async () => {
    // Prepare
    const { invoker } = await fixture(() => "hang", { timeoutMarginMs: 50 });

    // Act + Assess
    await expect(invoker.invoke(await probe({ timeoutMs: 100 }), batch("a"))).rejects.toMatchObject({ code: "TIMEOUT", retryable: true });
  });

  it("fails the whole batch when the reply is not JSON or names a record that is not in the batch", async () => {
    // Prepare
    const replies: FakeReply[] = [{ body: "<html>" }, partialFailure(["9-0"]), { body: '{"batchItemFailures":[{"itemIdentifier":""}]}' }];
    const { invoker } = await fixture(() => replies.shift() as FakeReply);
    const fn = await probe();

    // Act + Assess
    for (let i = 0; i < 3; i++) await expect(invoker.invoke(fn, batch("a"))).rejects.toMatchObject({ code: "LAMBDA_BAD_RESPONSE", retryable: true });
  });

  it("splits a batch that is too large for one request instead of failing it", async () => {
    // Prepare
    const { lambda, invoker } = await fixture((event) =>
      event.Records.length > 1
        ? { status: 413, headers: { "x-amzn-errortype": "RequestTooLargeException" }, body: JSON.stringify({ message: "Request must be smaller than 6291456 bytes" }) }
        : event.Records[0]?.messageId === "2-0"
          ? partialFailure(["2-0"])
          : { body: "null" },
    );

    // Act
    const response = await invoker.invoke(await probe(), batch("a", "b"));

    // Assess
    expect(lambda.calls.map((call) => call.event.Records.length)).toEqual([2, 1, 1]);
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: "2-0" }]);
  });

  it("drives the listener from LAMBDA_ENDPOINT: a failed invocation retries every record, a partial reply settles each record", async () => {
    // Prepare: the first attempt of anything fails the whole invocation; later, job "b" fails for good.
    vi.stubEnv("AWS_ACCESS_KEY_ID", "test");
    vi.stubEnv("AWS_SECRET_ACCESS_KEY", "test");
    const lambda = await startFakeLambda(({ event }) => {
      if (event.Records.some((record) => record.attributes.ApproximateReceiveCount === "1")) {
        return { headers: { "x-amz-function-error": "Unhandled" }, body: JSON.stringify({ errorType: "Error", errorMessage: "cold start failed" }) };
      }
      const failed = event.Records.filter((record) => (JSON.parse(record.body) as { id: string }).id === "b").map((record) => record.messageId);
      return partialFailure(failed, { code: "REJECTED", message: "b is refused", retryable: false });
    });
    cleanups.push(() => lambda.close());
    const harness = await probeHarness(redisUrl, { invoker: "lambda", maximumRetryAttempts: 2 }, { LAMBDA_ENDPOINT: lambda.endpoint, LAMBDA_FUNCTION_PREFIX: "svc-test-", BACKEND_WORKERS: "1" });
    cleanups.push(() => harness.close());
    await harness.publisher.publishBatch("probe", [{ id: "a" }, { id: "b" }]);

    // Act
    await harness.start();

    // Assess
    await waitFor(async () => (await harness.redis.xlen(harness.keys.dlq)) === 1 && (await harness.redis.xlen(harness.keys.stream)) === 0, { message: "jobs not settled" });
    const [[, fields]] = (await harness.redis.xrange(harness.keys.dlq, "-", "+")) as [[string, string[]]];
    const letter = fieldsToObject(fields);
    expect(JSON.parse(letter.payload as string)).toEqual({ id: "b" });
    expect(letter.error_code).toBe("REJECTED");
    expect(letter.attempt).toBe("2");
    const attemptsOf = (id: string) => lambda.calls.flatMap((call) => call.event.Records.filter((record) => JSON.parse(record.body).id === id).map((record) => record.attributes.ApproximateReceiveCount));
    expect(attemptsOf("a")).toEqual(["1", "2"]);
    expect(attemptsOf("b")).toEqual(["1", "2"]);
    expect(new Set(lambda.calls.map((call) => call.functionName))).toEqual(new Set(["svc-test-probe"]));
  });
});
