import { LuaScript } from "./lua-script.ts";

/**
 * Publish once per idempotency key. KEYS: stream, idempotency key, delayed set.
 * ARGV: window ms, job id, due time (0 = now), delayed member, then the XADD fields.
 * Returns { job id, 1 } when added, { first job's id, 0 } when the key was already used.
 */
export const publishIdempotent = new LuaScript(
  "publish-idempotent",
  `
local existing = redis.call('GET', KEYS[2])
if existing then return {existing, 0} end
local due = tonumber(ARGV[3])
if due > 0 then
  redis.call('ZADD', KEYS[3], due, ARGV[4])
else
  redis.call('XADD', KEYS[1], '*', unpack(ARGV, 5))
end
redis.call('SET', KEYS[2], ARGV[2], 'PX', ARGV[1])
return {ARGV[2], 1}
`,
);

/**
 * Settles one batch atomically. KEYS: stream, delayed set, dead-letter stream.
 * ARGV: group, n done, done ids..., n retry, (id, due, member)..., n dead, (id, n fields, fields...)...
 * A retry or dead letter moves only if this XACK removed the entry from the pending list, so an
 * entry another worker already settled is never moved twice. Returns { done, retried, dead }.
 */
export const settleBatch = new LuaScript(
  "settle-batch",
  `
local stream, delayed, dlq = KEYS[1], KEYS[2], KEYS[3]
local group = ARGV[1]
local i = 2
local nDone = tonumber(ARGV[i]); i = i + 1
local done = 0
if nDone > 0 then
  local ids = {}
  for k = 1, nDone do ids[k] = ARGV[i]; i = i + 1 end
  for k = 1, nDone, 5000 do
    local chunk = {unpack(ids, k, math.min(k + 4999, nDone))}
    done = done + redis.call('XACK', stream, group, unpack(chunk))
    redis.call('XDEL', stream, unpack(chunk))
  end
end
local nRetry = tonumber(ARGV[i]); i = i + 1
local retried = 0
for k = 1, nRetry do
  local id, due, member = ARGV[i], ARGV[i + 1], ARGV[i + 2]; i = i + 3
  if redis.call('XACK', stream, group, id) == 1 then
    redis.call('XDEL', stream, id)
    redis.call('ZADD', delayed, due, member)
    retried = retried + 1
  end
end
local nDead = tonumber(ARGV[i]); i = i + 1
local dead = 0
for k = 1, nDead do
  local id, n = ARGV[i], tonumber(ARGV[i + 1]); i = i + 2
  if redis.call('XACK', stream, group, id) == 1 then
    redis.call('XDEL', stream, id)
    redis.call('XADD', dlq, '*', unpack(ARGV, i, i + n - 1))
    dead = dead + 1
  end
  i = i + n
end
return {done, retried, dead}
`,
);

/**
 * Moves due delayed jobs back to their stream. KEYS: delayed set, stream. ARGV: now, limit.
 * Members are JSON arrays of XADD fields. Returns { moved, score of the next job or -1 }.
 */
export const promoteDelayed = new LuaScript(
  "promote-delayed",
  `
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
for _, member in ipairs(due) do
  local ok, fields = pcall(cjson.decode, member)
  if ok and type(fields) == 'table' and #fields >= 2 then
    redis.call('XADD', KEYS[2], '*', unpack(fields))
  else
    redis.call('XADD', KEYS[2], '*', 'malformed_delayed_member', member)
  end
  redis.call('ZREM', KEYS[1], member)
end
local nextJob = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
local nextDue = -1
if nextJob[2] then nextDue = tonumber(nextJob[2]) end
return {#due, nextDue}
`,
);

/**
 * Claims pending entries for a consumer and reports their delivery counts, which are attempts.
 * KEYS: stream. ARGV: group, consumer, mode, min idle ms, count, start id.
 * mode "own": this consumer's own pending entries from start id (re-read after a restart);
 * mode "stale": XAUTOCLAIM of entries idle longer than min idle (a dead worker's).
 * Returns { next start id, entries, delivery counts }.
 */
export const claimPending = new LuaScript(
  "claim-pending",
  `
local stream, group, consumer, mode = KEYS[1], ARGV[1], ARGV[2], ARGV[3]
local minIdle, count, start = ARGV[4], tonumber(ARGV[5]), ARGV[6]
local entries, nextId = {}, '0-0'
if mode == 'own' then
  local pending = redis.call('XPENDING', stream, group, start, '+', count, consumer)
  if #pending == 0 then return {'0-0', {}, {}} end
  local ids = {}
  for k, p in ipairs(pending) do ids[k] = p[1] end
  nextId = '(' .. ids[#ids]
  entries = redis.call('XCLAIM', stream, group, consumer, 0, unpack(ids))
  -- Entries deleted from the stream but still pending cannot be run: drop them from the PEL.
  local seen = {}
  for _, e in ipairs(entries) do seen[e[1]] = true end
  for _, id in ipairs(ids) do if not seen[id] then redis.call('XACK', stream, group, id) end end
else
  local res = redis.call('XAUTOCLAIM', stream, group, consumer, minIdle, start, 'COUNT', count)
  nextId, entries = res[1], res[2]
end
local counts = {}
for k, e in ipairs(entries) do
  local p = redis.call('XPENDING', stream, group, e[1], e[1], 1)
  counts[k] = (p[1] and p[1][4]) or 1
end
return {nextId, entries, counts}
`,
);

/**
 * Renews a worker-name lease if this process still holds it. KEYS: lease. ARGV: token, ttl ms.
 * Returns 1 when renewed, 0 when another process holds it.
 */
export const renewLease = new LuaScript(
  "renew-lease",
  `
local holder = redis.call('GET', KEYS[1])
if holder == ARGV[1] then redis.call('PEXPIRE', KEYS[1], ARGV[2]); return 1 end
if not holder then redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]); return 1 end
return 0
`,
);

/**
 * Takes over a worker-name lease whose holder is known to be dead, only if it is still that
 * holder's. KEYS: lease. ARGV: old holder, new holder, ttl ms. Returns 1 when taken.
 */
export const takeOverLease = new LuaScript(
  "take-over-lease",
  `
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3]); return 1 end
return 0
`,
);

/**
 * Adds a batch of first-attempt jobs in one command. One EVALSHA instead of one XADD per job: the
 * client encodes two arguments per job instead of ten (measured: 6 vs 16 µs of client CPU per job,
 * 1.5x the rate of an XADD pipeline), and no other client sees a half-added batch. A script is not
 * rolled back, so an XADD that fails (e.g. OOM) stops it and the reply says how many were added.
 * KEYS: stream. ARGV: type, enqueued_at, traceparent ("" = none), then (payload, job id) per job.
 * Returns { added, error or "" }.
 */
export const publishBatch = new LuaScript(
  "publish-batch",
  `
local stream, jobType, enqueuedAt, traceparent = KEYS[1], ARGV[1], ARGV[2], ARGV[3]
local n = 0
for i = 4, #ARGV, 2 do
  local reply
  if traceparent == '' then
    reply = redis.pcall('XADD', stream, '*', 'type', jobType, 'payload', ARGV[i], 'job_id', ARGV[i + 1], 'attempt', '1', 'enqueued_at', enqueuedAt)
  else
    reply = redis.pcall('XADD', stream, '*', 'type', jobType, 'payload', ARGV[i], 'job_id', ARGV[i + 1], 'attempt', '1', 'enqueued_at', enqueuedAt, 'traceparent', traceparent)
  end
  if type(reply) == 'table' and reply.err then return {n, reply.err} end
  n = n + 1
end
return {n, ''}
`,
);

/** Every script, for SCRIPT LOAD at start. */


/**
 * Heartbeat: resets the idle time of entries this consumer still owns, so a long job is not taken
 * over while it runs. An entry another worker has claimed meanwhile is left alone (a plain XCLAIM
 * with min-idle 0 would steal it back). KEYS: stream. ARGV: group, consumer, ids...
 * JUSTID keeps the delivery count unchanged. Returns how many were renewed.
 */
export const renewPending = new LuaScript(
  "renew-pending",
  `
local renewed = 0
for i = 3, #ARGV do
  local p = redis.call('XPENDING', KEYS[1], ARGV[1], ARGV[i], ARGV[i], 1)
  if p[1] and p[1][2] == ARGV[2] then
    redis.call('XCLAIM', KEYS[1], ARGV[1], ARGV[2], 0, ARGV[i], 'JUSTID')
    renewed = renewed + 1
  end
end
return renewed
`,
);
export const ALL_SCRIPTS = [publishIdempotent, settleBatch, promoteDelayed, claimPending, renewLease, renewPending, takeOverLease, publishBatch];
