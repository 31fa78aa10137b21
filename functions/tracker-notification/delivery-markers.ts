import type { KeyValueStore } from "../../shared/ports/key-value-store.ts";

/** What {@link DeliveryMarkers.claim} found: go ahead, or why not. */
export type ClaimResult =
  /** This run owns the delivery and must settle it with `delivered`, `refused` or `release`. */
  | "claimed"
  /** Delivered earlier (by a previous attempt or another job for the same changeset). */
  | "delivered"
  /** Refused for good earlier; reported then, not attempted again. */
  | "refused"
  /** Another job is delivering it right now; that job settles it (and retries it if it fails). */
  | "busy";

/** The job run that owns claims: the job id is stable across retries, the attempt grows. */
export interface ClaimOwner {
  jobId: string;
  attempt: number;
}

/**
 * Markers live longer than a job can: its retries end within maximumRecordAgeInSeconds (1 day in
 * serverless.yml), and an operator may redrive a dead letter days later. One key per recipient is
 * ~100 bytes, so a week of a busy instance (100k changesets x 20 recipients a day) is ~1.4 GB:
 * longer would cost more memory than the duplicates it could still prevent.
 */
export const MARKER_TTL_MS = 7 * 24 * 3600_000;

/** A claim outlives any run that crashed while holding it; a later run of the same job takes it over at once. */
export const CLAIM_TTL_MS = 15 * 60_000;

/**
 * The per-delivery markers that make a retried job send only what is missing. Each delivery (a
 * mail to one recipient, a POST to one webhook) is first claimed with SET NX, then marked
 * `delivered` or `refused`, or released when it failed temporarily so the retry sends it again.
 * A claim left by an earlier attempt of the same job means that attempt's worker died mid-send:
 * it is taken over. A claim of another job (the same changeset published twice) is left to that
 * job, so two jobs never send the same mail at the same time.
 */
export class DeliveryMarkers {
  readonly #kv: KeyValueStore;
  readonly #owner: ClaimOwner;

  constructor(kv: KeyValueStore, owner: ClaimOwner) {
    this.#kv = kv;
    this.#owner = owner;
  }

  /** Tries to take the delivery of `key` for this run. */
  async claim(key: string): Promise<ClaimResult> {
    const mine = `claimed ${this.#owner.jobId} ${this.#owner.attempt}`;
    // Two rounds: the value may expire between the failed SET NX and the GET.
    for (let round = 0; round < 2; round++) {
      if (await this.#kv.set(key, mine, { ifAbsent: true, ttlMs: CLAIM_TTL_MS })) return "claimed";
      const current = await this.#kv.get(key);
      if (current === null) continue;
      const [state, jobId, attempt] = current.split(" ");
      if (state === "delivered") return "delivered";
      if (state === "refused") return "refused";
      if (state === "claimed" && jobId === this.#owner.jobId && Number(attempt) < this.#owner.attempt) {
        await this.#kv.set(key, mine, { ttlMs: CLAIM_TTL_MS });
        return "claimed";
      }
      return "busy";
    }
    return "busy";
  }

  /** Records a successful delivery; retries and later jobs skip it. */
  async delivered(key: string): Promise<void> {
    await this.#kv.set(key, `delivered ${this.#owner.jobId} ${this.#owner.attempt}`, { ttlMs: MARKER_TTL_MS });
  }

  /** Records a permanent refusal (e.g. SMTP 550); retries skip it instead of trying forever. */
  async refused(key: string, reason: string): Promise<void> {
    await this.#kv.set(key, `refused ${this.#owner.jobId} ${this.#owner.attempt} ${reason}`, { ttlMs: MARKER_TTL_MS });
  }

  /** Gives a claim back after a temporary failure, so the next attempt sends it. */
  async release(key: string): Promise<void> {
    await this.#kv.del(key);
  }
}
