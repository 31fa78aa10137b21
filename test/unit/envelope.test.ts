import { describe, expect, it } from "vitest";
import { decodeEntry, decodeEntryBuffers, envelopeFields, newEnvelope } from "../../shared/job/envelope.ts";

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

  it("decodes a Buffer reply exactly as the string one, odd entries included", () => {
    // Prepare: well-formed envelopes and everything a hand-written XADD could get wrong.
    const full = envelopeFields({ ...newEnvelope("probe", '{"title":"é ✓"}', { idempotencyKey: "k", traceparent: "00-abc-def-01", now: 1700000000000 }), attempt: 3, firstFailedAt: 1700000000500 });
    const cases: (string[] | null)[] = [
      full,
      envelopeFields(newEnvelope("probe", "{}")),
      ["type", "probe", "payload", "{}"],
      ["type", "probe", "payload", "{}", "job_id", ""],
      ["type", "probe", "payload", "{}", "attempt", "2.0", "enqueued_at", "1.7e12"],
      ["type", "probe", "payload", "{}", "attempt", " 4"],
      ["type", "probe", "payload", "{}", "first_failed_at", "never"],
      ["type", "probe", "payload", "first", "payload", "second", "attempt", "1", "attempt", "2"],
      ["typ", "probe", "payload", "{}"],
      ["tYpe", "probe", "payload", "{}"],
      ["type", "", "payload", "{}"],
      ["type", "probe", "payload", ""],
      ["type", "probe", "payload", "{}", "extra", "x", "dangling"],
      null,
      ["payload", "{}"],
      ["type", "probe"],
      ["type", "probe", "payload", "{}", "attempt", "0"],
      ["type", "probe", "payload", "{}", "attempt", "9999999999999999"],
      ["type", "probe", "payload", "{}", "enqueued_at", "soon"],
    ];

    for (const fields of cases) {
      // Act
      const fromBuffers = decodeEntryBuffers(Buffer.from("1700000000123-4"), fields && fields.map((value) => Buffer.from(value)));

      // Assess
      expect(fromBuffers, JSON.stringify(fields)).toEqual(decodeEntry("1700000000123-4", fields));
    }
  });
});
