/**
 * The one error base of backend-workers. Every error a caller may act on carries a stable string
 * `code`; dispatch on it, never on `instanceof`, because each function bundle carries its own copy
 * of this module and classes from two bundles are never the same.
 */
export class BackendWorkersError extends Error {
  readonly code: string;
  /** Whether running the job again may succeed. Settling reads it through {@link isRetryable}. */
  readonly retryable: boolean;
  /** Extra facts for logs and dead letters; never put secrets here. */
  readonly details: Record<string, unknown> | undefined;

  constructor(
    code: string,
    message: string,
    options: { cause?: unknown; retryable?: boolean; details?: Record<string, unknown> } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "BackendWorkersError";
    this.code = code;
    this.retryable = options.retryable ?? true;
    this.details = options.details;
  }
}

/** Codes that are never worth a retry, whatever the error object says. */
export const NON_RETRYABLE_CODES: ReadonlySet<string> = new Set([
  "INVALID_PAYLOAD",
  "MALFORMED_ENTRY",
  "UNKNOWN_JOB_TYPE",
  "EXPIRED",
  "TOO_MANY_DELIVERIES",
]);

/** Reads the `code` of anything thrown, falling back to a generic one. */
export function errorCode(error: unknown): string {
  if (typeof error === "object" && error !== null && typeof (error as { code?: unknown }).code === "string") {
    return (error as { code: string }).code;
  }
  return "HANDLER_ERROR";
}

/** True unless the error's code is known to be final or the error says `retryable: false`. */
export function isRetryable(error: unknown): boolean {
  if (NON_RETRYABLE_CODES.has(errorCode(error))) return false;
  if (typeof error === "object" && error !== null && (error as { retryable?: unknown }).retryable === false) {
    return false;
  }
  return true;
}

/** A one-line message for anything thrown. */
export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  return typeof error === "string" ? error : JSON.stringify(error);
}
