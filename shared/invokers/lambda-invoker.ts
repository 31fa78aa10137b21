import type { LambdaClient } from "@aws-sdk/client-lambda";
import { BackendWorkersError, errorMessage } from "../errors.ts";
import type { BuiltFunction } from "../functions/manifest.ts";
import type { BatchItemFailure, BatchResponse, StreamEvent } from "../handler/stream-event.ts";
import type { Logger } from "../logging/logger.ts";
import type { Invoker } from "./invoker.ts";

/** Options of {@link createLambdaInvoker}. */
export interface LambdaInvokerOptions {
  logger: Logger;
  region: string;
  /** The Lambda API endpoint (serverless-offline's `http://localhost:3002`); unset means AWS. */
  endpoint?: string;
  /** The deployed name of a function; by default `functionPrefix` + its serverless.yml name. */
  functionName?: (fn: BuiltFunction) => string;
  /** osls names functions `<service>-<stage>-<name>`; this is the `<service>-<stage>-` part. */
  functionPrefix?: string;
  /** Fixed credentials (serverless-offline accepts any); by default the SDK's provider chain. */
  credentials?: { accessKeyId: string; secretAccessKey: string };
  /**
   * How long past the function's own timeout to wait for the reply before giving up: Lambda
   * enforces the timeout itself, the margin covers a cold start (init runs outside the timeout)
   * and the network.
   */
  timeoutMarginMs?: number;
}

/** The AWS error names a retry can never fix; every other failure of the call is retryable. */
const TOO_LARGE = new Set(["RequestTooLargeException", "RequestEntityTooLargeException"]);

/**
 * Runs functions through the AWS Lambda Invoke API (synchronous `RequestResponse`), so one
 * listener drives serverless-offline locally and real Lambda in production. As with an SQS event
 * source mapping, a function error, a throttle or a timeout fails the whole batch (the invocation
 * rejects with a retryable error and every record is retried), an invalid reply too, and a
 * `batchItemFailures` reply fails only the records it names. A batch too large for one request
 * (6 MB) is split in halves rather than failed. The SDK's own retries are off: the listener's
 * backoff is the one retry policy, and it is visible in status and metrics.
 */
export function createLambdaInvoker(options: LambdaInvokerOptions): Invoker {
  // The SDK costs ~100 ms to import: only a process that calls Lambda pays for it.
  let sdk: Promise<{ client: LambdaClient; InvokeCommand: typeof import("@aws-sdk/client-lambda").InvokeCommand }> | undefined;
  const loadSdk = () =>
    (sdk ??= import("@aws-sdk/client-lambda").then(({ LambdaClient, InvokeCommand }) => ({
      client: new LambdaClient({ region: options.region, endpoint: options.endpoint, credentials: options.credentials, maxAttempts: 1 }),
      InvokeCommand,
    })));
  const margin = options.timeoutMarginMs ?? 15_000;
  const nameOf = options.functionName ?? ((fn: BuiltFunction) => `${options.functionPrefix ?? ""}${fn.name}`);
  const inFlight = new Set<AbortController>();
  let closed = false;

  const invokeOnce = async (fn: BuiltFunction, event: StreamEvent): Promise<BatchResponse> => {
    const functionName = nameOf(fn);
    const controller = new AbortController();
    inFlight.add(controller);
    const timer = setTimeout(() => controller.abort(), fn.timeoutMs + margin);
    try {
      const { client, InvokeCommand } = await loadSdk();
      const reply = await client.send(
        new InvokeCommand({ FunctionName: functionName, InvocationType: "RequestResponse", Payload: Buffer.from(JSON.stringify(event)) }),
        { abortSignal: controller.signal },
      );
      const text = reply.Payload ? Buffer.from(reply.Payload).toString("utf8") : "";
      if (reply.FunctionError) throw functionError(functionName, reply.FunctionError, text);
      return toBatchResponse(functionName, text, event);
    } catch (error) {
      if (error instanceof BackendWorkersError) throw error;
      throw invokeError(functionName, fn, error, controller.signal.aborted, closed);
    } finally {
      clearTimeout(timer);
      inFlight.delete(controller);
    }
  };

  const invoke = async (fn: BuiltFunction, event: StreamEvent): Promise<BatchResponse> => {
    if (closed) throw new BackendWorkersError("INVOKER_CLOSED", "the lambda invoker is closed");
    try {
      return await invokeOnce(fn, event);
    } catch (error) {
      if ((error as BackendWorkersError).code !== "LAMBDA_REQUEST_TOO_LARGE" || event.Records.length < 2) throw error;
      const half = Math.ceil(event.Records.length / 2);
      options.logger.info({ fn: fn.name, records: event.Records.length }, "batch too large for one Lambda request; splitting it");
      const parts = await Promise.all([invoke(fn, { Records: event.Records.slice(0, half) }), invoke(fn, { Records: event.Records.slice(half) })]);
      return { batchItemFailures: parts.flatMap((part) => part.batchItemFailures) };
    }
  };

  return {
    kind: "lambda",
    invoke,
    async close() {
      if (closed) return;
      closed = true;
      for (const controller of inFlight) controller.abort();
      if (sdk) (await sdk).client.destroy();
    },
  };
}

/** An `X-Amz-Function-Error` reply: the function threw, crashed or ran out of time or memory. */
function functionError(functionName: string, kind: string, text: string): BackendWorkersError {
  let errorType = kind;
  let detail = text.slice(0, 500);
  try {
    const parsed = JSON.parse(text) as { errorType?: unknown; errorMessage?: unknown };
    if (typeof parsed.errorType === "string") errorType = parsed.errorType;
    if (typeof parsed.errorMessage === "string") detail = parsed.errorMessage;
  } catch {
    // Not JSON (a runtime crash may answer plain text): keep the raw text.
  }
  // Lambda reports its own timeout as a function error, not as an API error.
  const timedOut = errorType === "Sandbox.Timedout" || /Task timed out/i.test(detail);
  return new BackendWorkersError(timedOut ? "TIMEOUT" : "LAMBDA_FUNCTION_ERROR", `${functionName}: ${errorType}: ${detail}`, {
    details: { functionName, functionError: kind, errorType },
  });
}

/** A failed API call: throttled, unknown function, network, or our own deadline. */
function invokeError(functionName: string, fn: BuiltFunction, error: unknown, aborted: boolean, closed: boolean): BackendWorkersError {
  const name = (error as { name?: string })?.name ?? "Error";
  const status = (error as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode;
  const details = { functionName, awsError: name, httpStatus: status };
  if (aborted && closed) return new BackendWorkersError("INVOKER_CLOSED", `${functionName}: the invoker closed while the invocation ran`, { cause: error, details });
  if (aborted) return new BackendWorkersError("TIMEOUT", `${functionName}: no reply within the function's timeout (${fn.timeoutMs} ms) and the margin`, { cause: error, details });
  if (name === "TooManyRequestsException" || status === 429) {
    return new BackendWorkersError("LAMBDA_THROTTLED", `${functionName}: throttled by Lambda: ${errorMessage(error)}`, { cause: error, details });
  }
  if (TOO_LARGE.has(name) || status === 413) {
    return new BackendWorkersError("LAMBDA_REQUEST_TOO_LARGE", `${functionName}: the batch is larger than Lambda accepts: ${errorMessage(error)}`, { cause: error, details, retryable: false });
  }
  return new BackendWorkersError("LAMBDA_INVOKE_FAILED", `${functionName}: ${name}: ${errorMessage(error)}`, { cause: error, details });
}

/**
 * Reads a reply the way Lambda's SQS event source mapping does: nothing, `null` or no
 * `batchItemFailures` is a complete success; a list fails those records; a reply that is not
 * JSON, or names a record that is not in the batch, fails the whole batch.
 */
function toBatchResponse(functionName: string, text: string, event: StreamEvent): BatchResponse {
  if (text.trim() === "") return { batchItemFailures: [] };
  let reply: unknown;
  try {
    reply = JSON.parse(text);
  } catch {
    throw new BackendWorkersError("LAMBDA_BAD_RESPONSE", `${functionName}: the reply is not JSON: ${text.slice(0, 200)}`, { details: { functionName } });
  }
  const failures = (reply as { batchItemFailures?: unknown } | null)?.batchItemFailures;
  if (failures === undefined || failures === null) return { batchItemFailures: [] };
  if (!Array.isArray(failures)) throw badReply(functionName, "batchItemFailures is not a list");
  const ids = new Set(event.Records.map((record) => record.messageId));
  const result: BatchItemFailure[] = [];
  for (const failure of failures as unknown[]) {
    const id = (failure as { itemIdentifier?: unknown } | null)?.itemIdentifier;
    if (typeof id !== "string" || !ids.has(id)) throw badReply(functionName, `batchItemFailures names ${JSON.stringify(id)}, which is not a record of the batch`);
    result.push(failure as BatchItemFailure);
  }
  return { batchItemFailures: result };
}

function badReply(functionName: string, problem: string): BackendWorkersError {
  return new BackendWorkersError("LAMBDA_BAD_RESPONSE", `${functionName}: ${problem}`, { details: { functionName } });
}
