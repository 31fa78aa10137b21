import { randomUUID } from "node:crypto";
import { BackendWorkersError } from "../errors.ts";

/**
 * One job as it travels in a stream entry. `jobId` stays the same across retries; `attempt` is
 * 1-based; `enqueuedAt` is the first enqueue in ms since the epoch.
 */
export interface JobEnvelope {
  type: string;
  /** The payload as JSON text, exactly as published. */
  payload: string;
  jobId: string;
  attempt: number;
  enqueuedAt: number;
  idempotencyKey?: string;
  traceparent?: string;
  /** The error of the previous attempt, kept so a dead letter can tell the whole story. */
  firstFailedAt?: number;
}

/** A stream entry read back: its id and its envelope, or why it could not be decoded. */
export type DecodedEntry =
  | { id: string; ok: true; job: JobEnvelope; fields: Record<string, string> }
  | { id: string; ok: false; reason: string; fields: Record<string, string> };

/** Makes a fresh envelope for a first enqueue. */
export function newEnvelope(type: string, payload: string, options: { jobId?: string; idempotencyKey?: string; traceparent?: string; now?: number } = {}): JobEnvelope {
  const job: JobEnvelope = { type, payload, jobId: options.jobId ?? randomUUID(), attempt: 1, enqueuedAt: options.now ?? Date.now() };
  if (options.idempotencyKey !== undefined) job.idempotencyKey = options.idempotencyKey;
  if (options.traceparent !== undefined) job.traceparent = options.traceparent;
  return job;
}

/** The flat field list of XADD for `job`. */
export function envelopeFields(job: JobEnvelope): string[] {
  const fields = ["type", job.type, "payload", job.payload, "job_id", job.jobId, "attempt", String(job.attempt), "enqueued_at", String(job.enqueuedAt)];
  if (job.idempotencyKey !== undefined) fields.push("idempotency_key", job.idempotencyKey);
  if (job.traceparent !== undefined) fields.push("traceparent", job.traceparent);
  if (job.firstFailedAt !== undefined) fields.push("first_failed_at", String(job.firstFailedAt));
  return fields;
}

/** Turns XADD-style flat fields into an object (later duplicates win, as Redis keeps both). */
export function fieldsToObject(flat: readonly string[] | null | undefined): Record<string, string> {
  const fields: Record<string, string> = {};
  if (!flat) return fields;
  for (let i = 0; i + 1 < flat.length; i += 2) fields[flat[i] as string] = flat[i + 1] as string;
  return fields;
}

/**
 * Decodes a stream entry. Anything written by hand (redis-cli XADD) may be wrong, so every field is
 * checked; a bad entry becomes `ok: false` with a reason and is dead-lettered, never thrown.
 */
export function decodeEntry(id: string, flat: readonly string[] | null | undefined): DecodedEntry {
  const fields = fieldsToObject(flat);
  if (!flat) return { id, ok: false, reason: "entry has no fields (deleted while pending)", fields };
  const { type, payload } = fields;
  if (!type) return { id, ok: false, reason: "missing field 'type'", fields };
  if (payload === undefined) return { id, ok: false, reason: "missing field 'payload'", fields };
  const attempt = fields.attempt === undefined ? 1 : Number(fields.attempt);
  if (!Number.isInteger(attempt) || attempt < 1) return { id, ok: false, reason: `field 'attempt' is not a positive integer: ${fields.attempt}`, fields };
  const enqueuedAt = fields.enqueued_at === undefined ? Number(id.slice(0, id.indexOf("-"))) : Number(fields.enqueued_at);
  if (!Number.isFinite(enqueuedAt)) return { id, ok: false, reason: `field 'enqueued_at' is not a number: ${fields.enqueued_at}`, fields };
  // A hand-written entry without job_id gets its entry id, stable for as long as it is not retried.
  const job: JobEnvelope = { type, payload, jobId: fields.job_id || id, attempt, enqueuedAt };
  if (fields.idempotency_key !== undefined) job.idempotencyKey = fields.idempotency_key;
  if (fields.traceparent !== undefined) job.traceparent = fields.traceparent;
  if (fields.first_failed_at !== undefined && Number.isFinite(Number(fields.first_failed_at))) job.firstFailedAt = Number(fields.first_failed_at);
  return { id, ok: true, job, fields };
}

/** The error of a job that could not be published. */
export class PublishError extends BackendWorkersError {
  constructor(code: string, message: string, details?: Record<string, unknown>, cause?: unknown) {
    super(code, message, { retryable: false, details, cause });
    this.name = "PublishError";
  }
}
