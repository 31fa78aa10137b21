import { randomUUID } from "node:crypto";
import { hostname } from "node:os";
import type { Redis } from "ioredis";
import type { JobKeys } from "../redis/keys.ts";
import { renewLease, takeOverLease } from "../redis/scripts.ts";

/** How long a worker name stays reserved without renewal. */
export const LEASE_TTL_MS = 30_000;

/**
 * Reserves a stable consumer name (`<host>-<n>`, lowest free n) for a worker. A restarted worker
 * gets its old name back and so re-reads its own pending entries at once instead of waiting for
 * the visibility timeout; two processes on one host never share a name. The lease keys also tell
 * `status` how many workers are alive.
 *
 * The lease value names its holder (`<pid>@<host>#<uuid>`): a worker restarted right after a
 * SIGKILL finds its old name still leased (the lease outlives the process by up to its TTL), sees
 * that the holder was a process of this host that no longer exists, and takes the name over.
 */
export class ConsumerLease {
  readonly #token: string;
  #name: string | undefined;
  #index = -1;

  constructor(readonly redis: Redis, readonly keys: JobKeys, readonly host: string = hostname()) {
    this.#token = `${process.pid}@${host}#${randomUUID()}`;
  }

  /** The number in the name, -1 before {@link acquire}. */
  get index(): number {
    return this.#index;
  }

  get name(): string {
    if (!this.#name) throw new Error("lease not acquired");
    return this.#name;
  }

  /**
   * Takes the lowest free name from `from` on. The listener passes the index after its previous
   * worker's, so N workers take N round trips at start instead of N²/2.
   */
  async acquire(from = 0): Promise<string> {
    for (let n = from; ; n++) {
      const name = `${this.host}-${n}`;
      const key = this.keys.consumerLease(name);
      const reply = await this.redis.set(key, this.#token, "PX", LEASE_TTL_MS, "NX");
      const holder = reply === "OK" ? undefined : await this.redis.get(key);
      const taken = reply === "OK" || (holder !== null && holder !== undefined && this.#holderIsDead(holder) && (await takeOverLease.run<number>(this.redis, [key], [holder, this.#token, LEASE_TTL_MS])) === 1);
      if (taken) {
        this.#name = name;
        this.#index = n;
        return name;
      }
    }
  }

  /** True when `holder` was a process of this host that is gone (then its name may be taken). */
  #holderIsDead(holder: string): boolean {
    const match = /^(\d+)@(.*)#/.exec(holder);
    if (!match || match[2] !== this.host) return false;
    const pid = Number(match[1]);
    if (pid === process.pid) return false;
    try {
      process.kill(pid, 0);
      return false;
    } catch (error) {
      return (error as NodeJS.ErrnoException).code === "ESRCH";
    }
  }

  /** Extends the lease; false when another process took the name (this one was presumed dead). */
  async renew(): Promise<boolean> {
    if (!this.#name) return false;
    const renewed = await renewLease.run<number>(this.redis, [this.keys.consumerLease(this.#name)], [this.#token, LEASE_TTL_MS]);
    return renewed === 1;
  }

  /** Frees the name if still held. */
  async release(): Promise<void> {
    if (!this.#name) return;
    const key = this.keys.consumerLease(this.#name);
    if ((await this.redis.get(key)) === this.#token) await this.redis.del(key);
  }
}
