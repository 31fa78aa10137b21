import type { Redis } from "ioredis";
import { fieldsToObject } from "../job/envelope.ts";
import { jobKeys } from "../redis/keys.ts";
import { LuaScript } from "../redis/lua-script.ts";

/** One dead letter as `dlq list` shows it. */
export interface DeadLetter {
  /** Entry id in the dead-letter stream (what `redrive --id` takes). */
  id: string;
  jobId: string | undefined;
  errorCode: string | undefined;
  errorMessage: string | undefined;
  attempt: number | undefined;
  firstFailedAt: number | undefined;
  failedAt: number | undefined;
  originalId: string | undefined;
  fields: Record<string, string>;
}

/** Fields the settle script adds to a dead letter; a redrive removes them again. */
const ERROR_FIELDS = ["error_code", "error_message", "first_failed_at", "failed_at", "original_id", "function"];

/**
 * Moves dead letters back to their stream as fresh jobs (attempt 1, error fields removed, same
 * job id), atomically per call. KEYS: dlq, stream. ARGV: limit, then ids (none = the oldest `limit`).
 * Returns how many moved.
 */
const redrive = new LuaScript(
  "dlq-redrive",
  `
local drop = {}
for _, name in ipairs({${ERROR_FIELDS.map((name) => `'${name}'`).join(", ")}}) do drop[name] = true end
local entries
if #ARGV > 1 then
  entries = {}
  for i = 2, #ARGV do
    local found = redis.call('XRANGE', KEYS[1], ARGV[i], ARGV[i])
    if found[1] then entries[#entries + 1] = found[1] end
  end
else
  entries = redis.call('XRANGE', KEYS[1], '-', '+', 'COUNT', tonumber(ARGV[1]))
end
for _, entry in ipairs(entries) do
  local fields, out = entry[2], {}
  for i = 1, #fields, 2 do
    local name, value = fields[i], fields[i + 1]
    if name == 'attempt' then value = '1' end
    if not drop[name] then out[#out + 1] = name; out[#out + 1] = value end
  end
  if #out == 0 then out = {'malformed_dead_letter', entry[1]} end
  redis.call('XADD', KEYS[2], '*', unpack(out))
  redis.call('XDEL', KEYS[1], entry[1])
end
return #entries
`,
);

/**
 * The dead-letter stream of each function: list, redrive (back to the stream with the attempt
 * count reset) and purge. Dead letters are never trimmed automatically: an operator decides.
 */
export class DeadLetters {
  constructor(readonly redis: Redis, readonly prefix: string) {}

  /** The oldest `count` dead letters of `type`. */
  async list(type: string, count = 100): Promise<DeadLetter[]> {
    const entries = await this.redis.xrange(jobKeys(this.prefix, type).dlq, "-", "+", "COUNT", count);
    return entries.map(([id, flat]) => {
      const fields = fieldsToObject(flat);
      const number = (value: string | undefined) => (value === undefined || value === "" || Number.isNaN(Number(value)) ? undefined : Number(value));
      return {
        id,
        jobId: fields.job_id,
        errorCode: fields.error_code,
        errorMessage: fields.error_message,
        attempt: number(fields.attempt),
        firstFailedAt: number(fields.first_failed_at),
        failedAt: number(fields.failed_at),
        originalId: fields.original_id,
        fields,
      };
    });
  }

  /** How many dead letters `type` has. */
  count(type: string): Promise<number> {
    return this.redis.xlen(jobKeys(this.prefix, type).dlq);
  }

  /** Moves the given dead letters (or all of them) back to the stream; resolves with how many moved. */
  async redrive(type: string, selection: { ids: string[] } | { all: true }): Promise<number> {
    const keys = jobKeys(this.prefix, type);
    if ("ids" in selection) {
      return selection.ids.length ? redrive.run<number>(this.redis, [keys.dlq, keys.stream], [0, ...selection.ids]) : 0;
    }
    let moved = 0;
    for (;;) {
      const batch = await redrive.run<number>(this.redis, [keys.dlq, keys.stream], [500]);
      moved += batch;
      if (batch < 500) return moved;
    }
  }

  /** Deletes every dead letter of `type`; resolves with how many there were. */
  async purge(type: string): Promise<number> {
    const keys = jobKeys(this.prefix, type);
    const [[, length]] = (await this.redis.multi().xlen(keys.dlq).del(keys.dlq).exec()) as [[null, number], [null, number]];
    return length;
  }
}
