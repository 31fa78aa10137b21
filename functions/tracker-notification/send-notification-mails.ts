import { z } from "zod";
import { BackendWorkersError, errorCode, errorMessage, isRetryable } from "../../shared/errors.ts";
import type { JobContext } from "../../shared/handler/define-job-handler.ts";
import { MAIL_ERROR_CODES } from "../../shared/mail/smtp-error.ts";
import type { MailReceipt } from "../../shared/ports/mailer.ts";
import { buildMailMessage } from "./build-mail-message.ts";
import type { DeliveryMarkers } from "./delivery-markers.ts";
import { forEachLimited } from "./for-each-limited.ts";
import { renderNotification } from "./render-notification.ts";
import type { Recipient, TrackerNotification } from "./schema.ts";
import { shortHash } from "./short-hash.ts";

/**
 * Mails in flight at once. The mailer pools 5 SMTP connections; two messages per connection keep
 * each one busy (one being written while the other's reply is awaited) without queueing a
 * thousand messages in nodemailer's memory at once.
 */
export const MAIL_CONCURRENCY = 10;

// The HTML5 (WHATWG) address syntax browsers use for <input type=email>: a one-label domain such
// as an intranet host is fine, a comma, space or angle bracket (header injection) is not.
const ADDRESS = z.regexes.html5Email;

/** A recipient that was not mailed in this run, and why. */
export interface MailProblem {
  address: string;
  code: string;
  reason: string;
}

/** What happened to each recipient of one run; counts add up to the number of distinct addresses. */
export interface MailReport {
  sent: number;
  /** Delivered by an earlier attempt: the markers make a retry skip them. */
  alreadyDelivered: number;
  /** Refused for good by an earlier attempt; reported then. */
  previouslyRefused: number;
  /** Being sent by another job for the same changeset. */
  busy: number;
  /** Malformed addresses: reported and skipped, never retried. */
  invalid: MailProblem[];
  /** Refused for good in this run (SMTP 5xx): reported, marked, never retried. */
  refused: MailProblem[];
  /** Failed temporarily (SMTP 4xx, connection refused): the job's retry sends them. */
  temporary: MailProblem[];
}

/**
 * Mails every distinct recipient of the notification once, at most {@link MAIL_CONCURRENCY} at a
 * time over the pooled SMTP connections. Each recipient is claimed in the delivery markers first,
 * so a retry skips who was already mailed. A bad address or a permanent refusal is logged and
 * marked, never retried; a temporary failure releases the claim and is returned in `temporary`
 * for the caller to fail the job, after everyone else was attempted.
 */
export async function sendNotificationMails(notification: TrackerNotification, ctx: JobContext, markers: DeliveryMarkers): Promise<MailReport> {
  const report: MailReport = { sent: 0, alreadyDelivered: 0, previouslyRefused: 0, busy: 0, invalid: [], refused: [], temporary: [] };
  const recipients = distinctRecipients(notification.recipients);
  if (recipients.length === 0) return report;
  const rendered = renderNotification(notification);
  const { artifact, changeset } = notification;

  await forEachLimited(recipients, MAIL_CONCURRENCY, ctx.signal, async (recipient) => {
    const address = recipient.address;
    if (!ADDRESS.test(address)) {
      report.invalid.push({ address, code: "INVALID_RECIPIENT", reason: "not an email address" });
      ctx.logger.warn({ recipient: address, code: "INVALID_RECIPIENT" }, "recipient skipped: not an email address");
      return;
    }
    const key = `mail:${artifact.id}:${changeset.id}:${shortHash(address.toLowerCase())}`;
    const claim = await markers.claim(key);
    if (claim === "delivered") report.alreadyDelivered++;
    else if (claim === "refused") report.previouslyRefused++;
    else if (claim === "busy") {
      report.busy++;
      ctx.logger.info({ recipient: address }, "recipient skipped: another job is mailing it");
    }
    if (claim !== "claimed") return;

    let failure: unknown;
    try {
      checkReceipt(await ctx.deps.mailer.send(buildMailMessage(notification, rendered, recipient)), address);
    } catch (error) {
      failure = error;
    }
    // Marker writes stay outside the try: a Redis failure must fail the job, not pass for an SMTP one.
    if (failure === undefined) {
      await markers.delivered(key);
      report.sent++;
      return;
    }
    const problem: MailProblem = { address, code: errorCode(failure), reason: errorMessage(failure) };
    if (isRetryable(failure)) {
      await markers.release(key);
      report.temporary.push(problem);
      ctx.logger.warn({ recipient: address, code: problem.code, err: problem.reason }, "mail failed temporarily; the job's retry sends it");
    } else {
      await markers.refused(key, problem.code);
      report.refused.push(problem);
      ctx.logger.warn({ recipient: address, code: problem.code, err: problem.reason }, "recipient refused by the SMTP server; skipped");
    }
  });
  return report;
}

function distinctRecipients(recipients: readonly Recipient[]): Recipient[] {
  const seen = new Set<string>();
  return recipients.filter((recipient) => {
    const key = recipient.address.toLowerCase();
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

// A transport that takes several recipients reports refusals in the receipt instead of throwing;
// one recipient per message makes that rare, but a receipt that does not accept the address is
// still no delivery.
function checkReceipt(receipt: MailReceipt, address: string): void {
  const lower = address.toLowerCase();
  if (receipt.accepted.some((accepted) => accepted.toLowerCase() === lower)) return;
  const rejection = receipt.rejections?.find((item) => item.recipient.toLowerCase() === lower);
  const permanent = rejection?.responseCode !== undefined && rejection.responseCode >= 500;
  throw new BackendWorkersError(permanent ? MAIL_ERROR_CODES.rejected : MAIL_ERROR_CODES.temporary, `SMTP: ${rejection?.response ?? `${address} was not accepted`}`, {
    retryable: !permanent,
    details: { responseCode: rejection?.responseCode },
  });
}
