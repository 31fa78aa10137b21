import { describe, expect, it } from "vitest";
import { decodeEntry, envelopeFields, newEnvelope } from "../../shared/job/envelope.ts";

describe("job envelope", () => {
  it("round-trips through stream fields", () => {
    // Prepare
    const job = newEnvelope("probe", '{"id":"x"}', { idempotencyKey: "k", traceparent: "00-abc-def-01", now: 1700000000000 });

    // Act
    const decoded = decodeEntry("1700000000001-0", envelopeFields(job));

    // Assess
    expect(decoded).toMatchObject({ ok: true, job });
  });

  it("takes a hand-written entry with only type and payload, ids and times from the entry id", () => {
    const decoded = decodeEntry("1700000000123-4", ["type", "probe", "payload", "{}"]);
    expect(decoded).toMatchObject({ ok: true, job: { type: "probe", jobId: "1700000000123-4", attempt: 1, enqueuedAt: 1700000000123 } });
  });

  it.each([
    [null, "entry has no fields (deleted while pending)"],
    [["payload", "{}"], "missing field 'type'"],
    [["type", "probe"], "missing field 'payload'"],
    [["type", "probe", "payload", "{}", "attempt", "0"], "field 'attempt' is not a positive integer: 0"],
    [["type", "probe", "payload", "{}", "enqueued_at", "soon"], "field 'enqueued_at' is not a number: soon"],
  ])("refuses %j with a reason", (fields, reason) => {
    expect(decodeEntry("1-0", fields)).toMatchObject({ ok: false, reason });
  });
});
