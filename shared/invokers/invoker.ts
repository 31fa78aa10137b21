import type { BuiltFunction } from "../functions/manifest.ts";
import type { BatchResponse, StreamEvent } from "../handler/stream-event.ts";

/**
 * Runs a function on a batch. The listener does not care where: in-process (`inline`), in a child
 * process (`isolated`) or through the Lambda Invoke API (`lambda`). A rejection means the whole
 * batch failed (every record is retried); a `batchItemFailures` answer fails only those records.
 */
export interface Invoker {
  /** Which kind this is (`inline`, `isolated`, `lambda`), for logs. */
  readonly kind?: string;
  invoke(fn: BuiltFunction, event: StreamEvent): Promise<BatchResponse>;
  /** Loads what a first invocation would (a bundle, a child process) so the first job does not wait for it. */
  prepare?(fn: BuiltFunction): Promise<void>;
  /**
   * False when the function is known not to read a record's `md5OfBody` (then the listener does
   * not compute it). Absent means it may: out-of-process handlers get every SQS field.
   */
  needsDigest?(fn: BuiltFunction): boolean;
  /** Releases what the invoker holds (child processes, clients); idempotent. */
  close(): Promise<void>;
}
