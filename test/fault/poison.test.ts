import { afterEach, describe, expect, inject, it } from "vitest";
import { fieldsToObject } from "../../shared/job/envelope.ts";
import { probeHarness, type ProbeHarness } from "../helpers/probe-harness.ts";
import { waitFor } from "../helpers/wait-for.ts";

const redisUrl = inject("redisUrl");

describe("fault: poison entries written straight into the stream", () => {
  let harness: ProbeHarness | undefined;
  afterEach(() => harness?.close());

  it("each ends in the dead letters with a reason; a good job after them runs at once", async () => {
    // Prepare
    harness = await probeHarness(redisUrl);
    const h = harness;
    await h.start();
    const stream = h.keys.stream;

    // Act: what redis-cli XADD can produce.
    await h.redis.xadd(stream, "*", "garbage", "no type, no payload");
    await h.redis.xadd(stream, "*", "type", "probe", "payload", "{not json", "job_id", "bad-json");
    await h.redis.xadd(stream, "*", "type", "elsewhere", "payload", "{}", "job_id", "wrong-type");
    await h.redis.xadd(stream, "*", "type", "probe", "payload", '{"id":7}', "job_id", "schema-invalid");
    await h.redis.xadd(stream, "*", "type", "probe", "payload", JSON.stringify({ id: "big", pad: "x".repeat(5 * 1024 * 1024) }), "job_id", "too-big");
    await h.redis.xadd(stream, "*", "type", "probe", "payload", '{"id":"x"}', "attempt", "minus-one", "job_id", "bad-attempt");
    await h.publisher.publish("probe", { id: "good" });

    // Assess
    await waitFor(async () => (await h.done("good")) === 1, { message: "the good job did not run", timeoutMs: 5000 });
    await waitFor(async () => (await h.redis.xlen(h.keys.dlq)) === 6, { message: "poison not dead-lettered" });
    const letters = await h.redis.xrange(h.keys.dlq, "-", "+");
    const reasons = letters.map(([, flat]) => {
      const fields = fieldsToObject(flat);
      return [fields.job_id ?? fields.garbage, fields.error_code, fields.error_message];
    });
    // Order inside one settled batch is not part of the contract: compare by job.
    reasons.sort((a, b) => String(a[0]).localeCompare(String(b[0])));
    expect(reasons).toEqual([
      ["bad-attempt", "MALFORMED_ENTRY", "field 'attempt' is not a positive integer: minus-one"],
      ["bad-json", "INVALID_PAYLOAD", "payload is not valid JSON"],
      ["no type, no payload", "MALFORMED_ENTRY", "missing field 'type'"],
      ["schema-invalid", "INVALID_PAYLOAD", expect.stringContaining("id: Invalid input")],
      ["too-big", "PAYLOAD_TOO_LARGE", expect.stringContaining("the limit is 1048576")],
      ["wrong-type", "UNKNOWN_JOB_TYPE", 'entry of type "elsewhere" in the probe stream'],
    ]);
    expect(await h.redis.xlen(stream)).toBe(0);
    expect(((await h.redis.xpending(stream, "workers")) as [number])[0]).toBe(0);
  });
});
