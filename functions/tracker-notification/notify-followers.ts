import { BackendWorkersError } from "../../shared/errors.ts";
import type { JobContext } from "../../shared/handler/define-job-handler.ts";
import { DeliveryMarkers } from "./delivery-markers.ts";
import { deliverWebhooks, type WebhookReport } from "./deliver-webhooks.ts";
import type { TrackerNotification } from "./schema.ts";
import { sendNotificationMails, type MailReport } from "./send-notification-mails.ts";

/** What one run delivered, skipped and failed. */
export interface NotificationReport {
  mail: MailReport;
  webhooks: WebhookReport;
}

/**
 * The body of the `tracker-notification` function: mails the recipients and calls the webhooks
 * of one changeset, side by side, then logs one summary line. It fails the job (retryable
 * `NOTIFICATION_INCOMPLETE`) only after every delivery was attempted, and only for what may
 * succeed later: a temporary SMTP failure or a webhook that failed. The retry runs with the same
 * job id, and the delivery markers make it send only what is still missing. Invalid and refused
 * recipients are reported here and never retried.
 */
export async function notifyFollowers(notification: TrackerNotification, ctx: JobContext): Promise<NotificationReport> {
  const markers = new DeliveryMarkers(ctx.deps.kv, { jobId: ctx.jobId, attempt: ctx.attempt });
  // allSettled: when one side fails (Redis down) the other still finishes its in-flight sends and
  // settles their markers before the job fails.
  const [mail, webhooks] = await Promise.allSettled([sendNotificationMails(notification, ctx, markers), deliverWebhooks(notification, ctx, markers)]);
  if (mail.status === "rejected") throw mail.reason;
  if (webhooks.status === "rejected") throw webhooks.reason;
  const report: NotificationReport = { mail: mail.value, webhooks: webhooks.value };
  const { artifact, changeset } = notification;
  ctx.logger.info(
    {
      artifactId: artifact.id,
      changesetId: changeset.id,
      mailsSent: report.mail.sent,
      mailsAlreadyDelivered: report.mail.alreadyDelivered,
      mailsBusyElsewhere: report.mail.busy,
      recipientsInvalid: report.mail.invalid.length,
      recipientsRefused: report.mail.refused.length + report.mail.previouslyRefused,
      mailsFailedTemporarily: report.mail.temporary.length,
      webhooksDelivered: report.webhooks.delivered,
      webhooksAlreadyDelivered: report.webhooks.alreadyDelivered,
      webhooksFailed: report.webhooks.failed.length,
    },
    "tracker notification summary",
  );
  if (ctx.signal.aborted) throw ctx.signal.reason;
  const pending = [...report.mail.temporary.map((problem) => `${problem.code} (${problem.reason})`), ...report.webhooks.failed.map((problem) => `${problem.webhook}: ${problem.code} (${problem.reason})`)];
  if (pending.length > 0) {
    const parts = [];
    if (report.mail.temporary.length) parts.push(`${report.mail.temporary.length} mail(s) failed temporarily`);
    if (report.webhooks.failed.length) parts.push(`${report.webhooks.failed.length} webhook(s) failed`);
    throw new BackendWorkersError("NOTIFICATION_INCOMPLETE", `${parts.join(" and ")}; a retry delivers only those. First: ${pending[0]}`, {
      retryable: true,
      details: {
        mailsPending: report.mail.temporary.length,
        webhooksPending: report.webhooks.failed.length,
        codes: [...new Set([...report.mail.temporary, ...report.webhooks.failed].map((problem) => problem.code))],
      },
    });
  }
  return report;
}
