import type { DestinationStream } from "pino";

/** What {@link LineBatcher} writes to: pino's own destination (SonicBoom). */
interface Destination {
  write(data: string): boolean;
  flush(callback?: (error?: Error) => void): void;
  flushSync(): void;
}

/**
 * A pino destination that hands its lines to SonicBoom once per event-loop turn, joined, instead
 * of one write per line. SonicBoom measures its whole pending buffer (`Buffer.byteLength`, up to
 * 16 KiB of a concatenated string) on every write, which made two log lines per job cost ~9 µs
 * instead of ~5 (bench/profile-drain.ts --log-info). Lines wait at most one turn; `flush`,
 * `flushSync` (pino calls it on `fatal`) and process exit write them first.
 */
export class LineBatcher implements DestinationStream {
  readonly #destination: Destination;
  #lines: string[] = [];
  #scheduled = false;

  constructor(destination: Destination) {
    this.#destination = destination;
    for (const ref of batchers) if (!ref.deref()) batchers.delete(ref);
    batchers.add(new WeakRef(this));
    if (!exitHookInstalled) installExitHook();
  }

  write(line: string): boolean {
    this.#lines.push(line);
    if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(this.#handOver);
    }
    return true;
  }

  flush(callback?: (error?: Error) => void): void {
    this.#handOver();
    this.#destination.flush(callback);
  }

  flushSync(): void {
    this.#handOver();
    this.#destination.flushSync();
  }

  readonly #handOver = (): void => {
    this.#scheduled = false;
    if (this.#lines.length === 0) return;
    const data = this.#lines.length === 1 ? (this.#lines[0] as string) : this.#lines.join("");
    this.#lines = [];
    this.#destination.write(data);
  };
}

const batchers = new Set<WeakRef<LineBatcher>>();
let exitHookInstalled = false;

/** One `exit` listener for all batchers: what is still queued is written synchronously. */
function installExitHook(): void {
  exitHookInstalled = true;
  process.on("exit", () => {
    for (const ref of batchers) {
      try {
        ref.deref()?.flushSync();
      } catch {
        // the destination is closed or broken: nothing more can be done at exit
      }
    }
  });
}
