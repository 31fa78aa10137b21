/** The consumer group every function stream is read by; its consumers are the workers. */
export const GROUP = "workers";

/** Job type names double as stream names and file names, so they are kept simple. */
export const JOB_TYPE_PATTERN = /^[a-z0-9][a-z0-9-]{0,62}$/;

/**
 * The keys of one job type. All share the `{<type>}` hash tag, so in Redis Cluster they live in
 * one slot and the Lua scripts that move entries between them stay legal.
 */
export interface JobKeys {
  stream: string;
  dlq: string;
  delayed: string;
  idempotency(key: string): string;
  consumerLease(consumer: string): string;
  consumerLeasePattern: string;
  metrics: string;
}

/** Builds the {@link JobKeys} of `type` under `prefix`. */
export function jobKeys(prefix: string, type: string): JobKeys {
  const base = `${prefix}:{${type}}`;
  return {
    stream: `${base}:jobs`,
    dlq: `${base}:dlq`,
    delayed: `${base}:delayed`,
    idempotency: (key) => `${base}:idem:${key}`,
    consumerLease: (consumer) => `${base}:consumer:${consumer}`,
    consumerLeasePattern: `${base}:consumer:*`,
    metrics: `${base}:metrics`,
  };
}
