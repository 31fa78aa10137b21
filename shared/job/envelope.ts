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

/** A stream entry read back: its id and its envelope, or why it could not be decoded (with its raw fields). */
export type DecodedEntry =
  | { id: string; ok: true; job: JobEnvelope }
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
 * checked; a bad entry becomes `ok: false` with a reason and is dead-lettered, never thrown. Reads
 * the flat reply directly (no intermediate object): this runs once per job on the hot path.
 */
export function decodeEntry(id: string, flat: readonly string[] | null | undefined): DecodedEntry {
  if (!flat) return { id, ok: false, reason: "entry has no fields (deleted while pending)", fields: {} };
  let type: string | undefined;
  let payload: string | undefined;
  let jobId: string | undefined;
  let attemptText: string | undefined;
  let enqueuedText: string | undefined;
  let idempotencyKey: string | undefined;
  let traceparent: string | undefined;
  let firstFailedText: string | undefined;
  for (let i = 0; i + 1 < flat.length; i += 2) {
    const value = flat[i + 1] as string;
    switch (flat[i]) {
      case "type": type = value; break;
      case "payload": payload = value; break;
      case "job_id": jobId = value; break;
      case "attempt": attemptText = value; break;
      case "enqueued_at": enqueuedText = value; break;
      case "idempotency_key": idempotencyKey = value; break;
      case "traceparent": traceparent = value; break;
      case "first_failed_at": firstFailedText = value; break;
    }
  }
  if (!type) return undecodable(id, flat, "missing field 'type'");
  if (payload === undefined) return undecodable(id, flat, "missing field 'payload'");
  const attempt = attemptText === undefined ? 1 : Number(attemptText);
  if (!Number.isInteger(attempt) || attempt < 1) return undecodable(id, flat, `field 'attempt' is not a positive integer: ${attemptText}`);
  const enqueuedAt = enqueuedText === undefined ? Number(id.slice(0, id.indexOf("-"))) : Number(enqueuedText);
  if (!Number.isFinite(enqueuedAt)) return undecodable(id, flat, `field 'enqueued_at' is not a number: ${enqueuedText}`);
  // A hand-written entry without job_id gets its entry id, stable for as long as it is not retried.
  const job: JobEnvelope = { type, payload, jobId: jobId || id, attempt, enqueuedAt };
  if (idempotencyKey !== undefined) job.idempotencyKey = idempotencyKey;
  if (traceparent !== undefined) job.traceparent = traceparent;
  if (firstFailedText !== undefined && Number.isFinite(Number(firstFailedText))) job.firstFailedAt = Number(firstFailedText);
  return { id, ok: true, job };
}

// A module function, not a closure: closures on this path would be re-created for every job.
function undecodable(id: string, flat: readonly string[], reason: string): DecodedEntry {
  return { id, ok: false, reason, fields: fieldsToObject(flat) };
}

/** The error of a job that could not be published. */
export class PublishError extends BackendWorkersError {
  constructor(code: string, message: string, details?: Record<string, unknown>, cause?: unknown) {
    super(code, message, { retryable: false, details, cause });
    this.name = "PublishError";
  }
}
