/** One email to send. */
export interface MailMessage {
  to: string;
  from?: string;
  subject: string;
  text: string;
  html?: string;
  messageId?: string;
  headers?: Record<string, string>;
}

/** What the SMTP peer said about a message. */
export interface MailReceipt {
  messageId: string;
  accepted: string[];
  rejected: string[];
}

/**
 * The mail port. The default sends with nodemailer over `SMTP_URL`, or writes `.eml` files under
 * `var/mail/` when no SMTP server is configured.
 */
export interface Mailer {
  send(message: MailMessage): Promise<MailReceipt>;
}
