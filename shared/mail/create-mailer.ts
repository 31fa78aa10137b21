import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import nodemailer from "nodemailer";
import { BackendWorkersError } from "../errors.ts";
import type { Logger } from "../logging/logger.ts";
import type { MailMessage, Mailer, MailReceipt } from "../ports/mailer.ts";

/** Options of {@link createMailer}. */
export interface MailerOptions {
  /** smtp:// or smtps:// URL; undefined writes `.eml` files to `mailDir` (the embedded default). */
  smtpUrl: string | undefined;
  from: string;
  mailDir: string;
  logger: Logger;
  /** Pooled SMTP connections; a big recipient list shares them. */
  maxConnections?: number;
}

/** A {@link Mailer} that can be closed (the SMTP pool). */
export interface ClosableMailer extends Mailer {
  close(): void;
}

/**
 * Builds the mail port. SMTP replies decide retries: a 4xx or a connection failure is temporary
 * (`SMTP_TEMPORARY`, retryable), a 5xx for a recipient is permanent (`SMTP_REJECTED`).
 */
export function createMailer(options: MailerOptions): ClosableMailer {
  if (options.smtpUrl === undefined) return createEmlFileMailer(options);
  const transport = nodemailer.createTransport(options.smtpUrl, {
    pool: true,
    maxConnections: options.maxConnections ?? 5,
    maxMessages: Infinity,
  } as never);
  return {
    async send(message) {
      try {
        const info = await transport.sendMail({ from: options.from, ...message });
        return {
          messageId: info.messageId,
          accepted: (info.accepted ?? []).map(String),
          rejected: (info.rejected ?? []).map(String),
        };
      } catch (error) {
        throw smtpError(error);
      }
    },
    close: () => transport.close(),
  };
}

function smtpError(error: unknown): BackendWorkersError {
  const smtp = error as { responseCode?: number; code?: string; message?: string };
  const status = smtp.responseCode;
  const permanent = typeof status === "number" && status >= 500;
  return new BackendWorkersError(permanent ? "SMTP_REJECTED" : "SMTP_TEMPORARY", `SMTP: ${smtp.message ?? String(error)}`, {
    retryable: !permanent,
    cause: error,
    details: { responseCode: status, smtpCode: smtp.code },
  });
}

function createEmlFileMailer(options: MailerOptions): ClosableMailer {
  const transport = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: "unix" });
  return {
    async send(message: MailMessage): Promise<MailReceipt> {
      const info = await transport.sendMail({ from: options.from, ...message });
      await mkdir(options.mailDir, { recursive: true });
      const safeId = info.messageId.replace(/[^A-Za-z0-9@._-]/g, "_");
      const file = join(options.mailDir, `${Date.now()}-${safeId}.eml`);
      await writeFile(file, info.message as Buffer);
      options.logger.info({ file, to: message.to }, "no SMTP_URL: mail written to file");
      return { messageId: info.messageId, accepted: [message.to], rejected: [] };
    },
    close: () => transport.close(),
  };
}
