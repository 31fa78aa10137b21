import { hash } from "node:crypto";
import { RECORD_ATTRIBUTES, type StreamEvent, type StreamRecord } from "../handler/stream-event.ts";
import type { JobEnvelope } from "../job/envelope.ts";

/** A decoded stream entry ready to run, with its effective attempt number. */
export interface RunnableJob {
  entryId: string;
  job: JobEnvelope;
  attempt: number;
}

/** Builds the SQS-shaped event of a batch; `eventSourceARN` names the stream it came from. */
export function toStreamEvent(stream: string, jobs: readonly RunnableJob[], options: { receivedAt?: number; maxAttempts?: number; digest?: boolean } = {}): StreamEvent {
  const receivedAt = options.receivedAt ?? Date.now();
  const maxAttempts = options.maxAttempts === undefined ? undefined : String(options.maxAttempts);
  const digest = options.digest ?? true;
  return { Records: jobs.map((item) => toRecord(stream, item, receivedAt, maxAttempts, digest)) };
}

function toRecord(stream: string, { entryId, job, attempt }: RunnableJob, receivedAt: number, maxAttempts: string | undefined, digest: boolean): StreamRecord {
  const messageAttributes: StreamRecord["messageAttributes"] = {
    [RECORD_ATTRIBUTES.jobId]: { stringValue: job.jobId, dataType: "String" },
    [RECORD_ATTRIBUTES.type]: { stringValue: job.type, dataType: "String" },
  };
  if (job.idempotencyKey !== undefined) messageAttributes[RECORD_ATTRIBUTES.idempotencyKey] = { stringValue: job.idempotencyKey, dataType: "String" };
  if (job.traceparent !== undefined) messageAttributes[RECORD_ATTRIBUTES.traceparent] = { stringValue: job.traceparent, dataType: "String" };
  if (maxAttempts !== undefined) messageAttributes[RECORD_ATTRIBUTES.maxAttempts] = { stringValue: maxAttempts, dataType: "String" };
  const record: StreamRecord = {
    messageId: entryId,
    receiptHandle: `${stream}/${entryId}`,
    body: job.payload,
    attributes: {
      ApproximateReceiveCount: String(attempt),
      SentTimestamp: String(job.enqueuedAt),
      ApproximateFirstReceiveTimestamp: String(receivedAt),
      SenderId: "backend-workers",
    },
    messageAttributes,
    eventSource: "redis:stream",
    eventSourceARN: stream,
    awsRegion: "local",
  };
  // A plain object like SQS's. The digest costs ~1.4 µs (crypto.hash); a lazy getter costs about
  // as much (object literals with accessors take V8's slow path) and a class loses the key in
  // spreads and JSON, so it is computed, or left out when the invoker says nothing reads it.
  if (digest) record.md5OfBody = hash("md5", job.payload, "hex");
  return record;
}
