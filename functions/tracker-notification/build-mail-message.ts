import type { MailMessage } from "../../shared/ports/mailer.ts";
import type { RenderedNotification } from "./render-notification.ts";
import type { Recipient, TrackerNotification } from "./schema.ts";
import { threadHeaders } from "./thread-headers.ts";

/**
 * The mail for one recipient: the rendered notification in the recipient's format (`html`: text
 * and HTML parts; `text`: text only), threading headers, and `Auto-Submitted: auto-generated`
 * (RFC 3834) so vacation responders do not answer a robot and start a mail loop.
 */
export function buildMailMessage(notification: TrackerNotification, rendered: RenderedNotification, recipient: Recipient): MailMessage {
  const thread = threadHeaders(notification, recipient.address);
  const message: MailMessage = {
    to: recipient.address,
    subject: rendered.subject,
    text: rendered.text,
    messageId: thread.messageId,
    inReplyTo: thread.inReplyTo,
    references: thread.references,
    headers: { "Auto-Submitted": "auto-generated", "X-Auto-Response-Suppress": "All" },
  };
  if (recipient.name) message.toName = recipient.name;
  if (recipient.format === "html") message.html = rendered.html.toString();
  return message;
}
