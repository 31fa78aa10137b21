import { BackendWorkersError } from "../errors.ts";

/** The codes a {@link toMailError} error may carry; callers dispatch on these strings. */
export const MAIL_ERROR_CODES = {
  /** The server refused this message or its recipient for good: retrying cannot help. */
  rejected: "SMTP_REJECTED",
  /** A 4xx reply or a failed connection: the same message may go through later. */
  temporary: "SMTP_TEMPORARY",
  /** Authentication, TLS, a refused sender, a protocol error: the server setup, not the recipient. */
  failed: "SMTP_FAILED",
} as const;

// nodemailer's codes for a connection that broke or never opened (ECONNREFUSED surfaces as ESOCKET).
const CONNECTION_CODES = new Set(["ECONNECTION", "ESOCKET", "ETIMEDOUT", "EDNS", "ECONNREFUSED", "ECONNRESET"]);

interface NodemailerError {
  code?: string;
  responseCode?: number;
  command?: string;
  response?: string;
  recipient?: string;
  message?: string;
}

/**
 * Turns what nodemailer threw into a {@link BackendWorkersError} with one of
 * {@link MAIL_ERROR_CODES}. Only a 5xx reply to RCPT TO or DATA (or a message the server says is
 * too large) blames the message: a 5xx to AUTH or MAIL FROM is the operator's setup and must not
 * mark every recipient of a big list as rejected, so it stays retryable until someone fixes it.
 */
export function toMailError(error: unknown): BackendWorkersError {
  const smtp = (typeof error === "object" && error !== null ? error : {}) as NodemailerError;
  const status = typeof smtp.responseCode === "number" ? smtp.responseCode : undefined;
  const details: Record<string, unknown> = { responseCode: status, smtpCode: smtp.code, command: smtp.command, response: smtp.response };
  const message = `SMTP: ${smtp.message ?? String(error)}`;
  const make = (code: string, retryable: boolean) => new BackendWorkersError(code, message, { retryable, cause: error, details });

  if (status !== undefined && status >= 400 && status < 500) return make(MAIL_ERROR_CODES.temporary, true);
  if (status !== undefined && status >= 500 && (smtp.command === "RCPT TO" || smtp.command === "DATA")) return make(MAIL_ERROR_CODES.rejected, false);
  if (smtp.code === "EMESSAGE" && status === undefined) return make(MAIL_ERROR_CODES.rejected, false);
  if (status === undefined && smtp.code !== undefined && CONNECTION_CODES.has(smtp.code)) return make(MAIL_ERROR_CODES.temporary, true);
  return make(MAIL_ERROR_CODES.failed, true);
}
