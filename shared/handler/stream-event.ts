/**
 * The event a function receives: a batch shaped like an SQS event, so the same bundle runs on the
 * Redis listener, under `serverless invoke local`, in serverless-offline and on AWS Lambda, and
 * tooling made for SQS handlers works unchanged.
 */
export interface StreamEvent {
  Records: StreamRecord[];
}

/** One job of a {@link StreamEvent}: `body` is the payload JSON, `messageId` the stream entry id. */
export interface StreamRecord {
  messageId: string;
  receiptHandle: string;
  body: string;
  attributes: {
    /** The attempt number (1-based), as SQS counts receives. */
    ApproximateReceiveCount: string;
    /** First enqueue time in ms since the epoch. */
    SentTimestamp: string;
    ApproximateFirstReceiveTimestamp: string;
    SenderId: string;
  };
  messageAttributes: Record<string, { stringValue: string; dataType: "String" }>;
  /**
   * MD5 of `body`, as SQS gives it. Left out only where nothing can read it: a function made with
   * defineJobHandler and run in-process (`inline`) never does, and computing it costs ~1.4 µs a job.
   */
  md5OfBody?: string;
  eventSource: "redis:stream";
  eventSourceARN: string;
  awsRegion: string;
}

/**
 * A record that failed. `itemIdentifier` is the record's `messageId` (the SQS partial batch
 * response contract); `code`, `message` and `retryable` are ours and optional, so a plain SQS
 * handler's answer is understood too (then the failure counts as retryable).
 */
export interface BatchItemFailure {
  itemIdentifier: string;
  code?: string;
  message?: string;
  retryable?: boolean;
}

/** What a function returns: the records that failed; every other record succeeded. */
export interface BatchResponse {
  batchItemFailures: BatchItemFailure[];
  /**
   * Ours, optional: how long each record ran, in ms, in the order of the event's `Records`, for
   * the per-job duration histogram. SQS event source mappings ignore it. (An array, not an object
   * keyed by messageId: fresh entry ids as object keys cost a string-table insert each.)
   */
  durationsMs?: number[];
}

/** Message attribute names under which the job envelope travels beside the body. */
export const RECORD_ATTRIBUTES = {
  jobId: "jobId",
  type: "type",
  idempotencyKey: "idempotencyKey",
  traceparent: "traceparent",
  /** How many attempts the host allows in all, so a function knows when a failure is its last. */
  maxAttempts: "maxAttempts",
} as const;
