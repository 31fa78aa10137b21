import { describe, expect, it } from "vitest";
import { retryDelayMs } from "../../shared/listener/backoff.ts";

describe("retryDelayMs", () => {
  const backoff = { baseMs: 1000, maxMs: 10_000 };

  it("doubles per attempt with half of it random (equal jitter)", () => {
    expect([1, 2, 3, 4].map((attempt) => retryDelayMs(attempt, backoff, () => 0))).toEqual([500, 1000, 2000, 4000]);
    expect([1, 2, 3, 4].map((attempt) => retryDelayMs(attempt, backoff, () => 1))).toEqual([1000, 2000, 4000, 8000]);
  });

  it("never exceeds the cap", () => {
    expect(retryDelayMs(30, backoff, () => 1)).toBe(10_000);
    expect(retryDelayMs(30, backoff, () => 0)).toBe(5_000);
  });
});
