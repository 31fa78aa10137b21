import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { pino } from "pino";
import { loadConfig } from "../../shared/config.ts";
import type { JobContext } from "../../shared/handler/define-job-handler.ts";
import type { FunctionDeps } from "../../shared/ports/function-deps.ts";
import type { KeyValueStore } from "../../shared/ports/key-value-store.ts";
import type { MailMessage, Mailer, MailReceipt } from "../../shared/ports/mailer.ts";

/** An in-memory {@link KeyValueStore}; TTLs are recorded, not enforced. */
export class InMemoryKv implements KeyValueStore {
  readonly values = new Map<string, string>();
  readonly ttls = new Map<string, number>();

  async get(key: string): Promise<string | null> {
    return this.values.get(key) ?? null;
  }

  async set(key: string, value: string, options: { ttlMs?: number; ifAbsent?: boolean } = {}): Promise<boolean> {
    if (options.ifAbsent && this.values.has(key)) return false;
    this.values.set(key, value);
    if (options.ttlMs !== undefined) this.ttls.set(key, options.ttlMs);
    return true;
  }

  async del(key: string): Promise<void> {
    this.values.delete(key);
  }

  async incr(key: string): Promise<number> {
    const next = Number(this.values.get(key) ?? 0) + 1;
    this.values.set(key, String(next));
    return next;
  }
}

/** A {@link Mailer} that records every message and fails the ones `fail` throws for. */
export class FakeMailer implements Mailer {
  readonly sent: MailMessage[] = [];
  readonly attempts: string[] = [];

  constructor(private readonly fail: (message: MailMessage) => Error | undefined = () => undefined) {}

  async send(message: MailMessage): Promise<MailReceipt> {
    this.attempts.push(message.to);
    const error = this.fail(message);
    if (error) throw error;
    this.sent.push(message);
    return { messageId: message.messageId ?? "<fake@example.com>", accepted: [message.to], rejected: [] };
  }
}

/** A job context over fakes; `logs` collects every JSON log line the function wrote. */
export function fakeContext(deps: Partial<FunctionDeps>, options: { jobId?: string; attempt?: number; signal?: AbortSignal } = {}): JobContext & { logs: Record<string, unknown>[] } {
  const logs: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logs.push(JSON.parse(chunk.toString("utf8")) as Record<string, unknown>);
      done();
    },
  });
  const config = loadConfig({ VAR_DIR: mkdtempSync(join(tmpdir(), "bw-tn-")) });
  const fullDeps: FunctionDeps = {
    config,
    kv: new InMemoryKv(),
    mailer: new FakeMailer(),
    fetch: () => Promise.reject(new Error("no fetch in this test")),
    clock: { now: () => Date.now() },
    ...deps,
  };
  return {
    logger: pino({ level: "debug" }, sink),
    signal: options.signal ?? new AbortController().signal,
    attempt: options.attempt ?? 1,
    jobId: options.jobId ?? "job-1",
    enqueuedAt: Date.now(),
    deps: fullDeps,
    logs,
  };
}
