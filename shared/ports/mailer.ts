/** One email to send. */
export interface MailMessage {
  /** One bare address (`user@example.com`); the mailer never splits it into several recipients. */
  to: string;
  /** Display name of `to`; the mailer quotes and encodes it, so any text is safe here. */
  toName?: string;
  from?: string;
  subject: string;
  text: string;
  html?: string;
  /** `<id@domain>`; a stable one lets clients drop the duplicate a crash between send and marker may cause. */
  messageId?: string;
  /** Message-ID this mail answers, so clients thread it under the conversation. */
  inReplyTo?: string;
  /** Message-IDs of the conversation, oldest first. */
  references?: string[];
  headers?: Record<string, string>;
}

/** Why the SMTP peer refused one recipient of an otherwise accepted message. */
export interface MailRejection {
  recipient: string;
  responseCode?: number;
  /** The server's reply line, e.g. `550 5.1.1 No such user`. */
  response?: string;
}

/** What the SMTP peer said about a message. */
export interface MailReceipt {
  messageId: string;
  accepted: string[];
  rejected: string[];
  /** One entry per address of `rejected`, when the transport tells why. */
  rejections?: MailRejection[];
}

/**
 * The mail port. The default sends with nodemailer over a pooled `SMTP_URL` connection, or writes
 * `.eml` files under `var/mail/` when no SMTP server is configured. `send` rejects with an error
 * whose `code` says what a caller may do: `SMTP_REJECTED` (`retryable: false`) when the server
 * refused this message or its recipient for good (5xx at RCPT TO or DATA); `SMTP_TEMPORARY` for a
 * 4xx reply or a connection that failed; `SMTP_FAILED` (retryable) for server-wide problems such
 * as authentication, TLS or a refused sender, which no recipient is to blame for.
 */
export interface Mailer {
  send(message: MailMessage): Promise<MailReceipt>;
}
