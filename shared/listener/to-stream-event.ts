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
export function toStreamEvent(stream: string, jobs: readonly RunnableJob[], options: { receivedAt?: number; maxAttempts?: number } = {}): StreamEvent {
  const receivedAt = options.receivedAt ?? Date.now();
  const maxAttempts = options.maxAttempts === undefined ? undefined : String(options.maxAttempts);
  return { Records: jobs.map((item) => toRecord(stream, item, receivedAt, maxAttempts)) };
}

function toRecord(stream: string, { entryId, job, attempt }: RunnableJob, receivedAt: number, maxAttempts: string | undefined): StreamRecord {
  const messageAttributes: StreamRecord["messageAttributes"] = {
    [RECORD_ATTRIBUTES.jobId]: { stringValue: job.jobId, dataType: "String" },
    [RECORD_ATTRIBUTES.type]: { stringValue: job.type, dataType: "String" },
  };
  if (job.idempotencyKey !== undefined) messageAttributes[RECORD_ATTRIBUTES.idempotencyKey] = { stringValue: job.idempotencyKey, dataType: "String" };
  if (job.traceparent !== undefined) messageAttributes[RECORD_ATTRIBUTES.traceparent] = { stringValue: job.traceparent, dataType: "String" };
  if (maxAttempts !== undefined) messageAttributes[RECORD_ATTRIBUTES.maxAttempts] = { stringValue: maxAttempts, dataType: "String" };
  return {
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
    // A plain object like SQS's, md5 included: one-shot crypto.hash costs ~1 µs; a lazy getter
    // (defineProperty, ~3 µs) or a class (the key vanishes from spreads and equality) cost more.
    md5OfBody: hash("md5", job.payload, "hex"),
    eventSource: "redis:stream",
    eventSourceARN: stream,
    awsRegion: "local",
  };
}
