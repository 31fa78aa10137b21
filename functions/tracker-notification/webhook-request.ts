import type { TrackerNotification, Webhook } from "./schema.ts";
import { shortHash } from "./short-hash.ts";
import { SIGNATURE_HEADER, signWebhookBody } from "./webhook-signature.ts";

/** A signed webhook call, ready for fetch. */
export interface WebhookRequest {
  /** Stable per (changeset, webhook): the same on every retry, so a receiver can drop duplicates. */
  deliveryId: string;
  body: string;
  headers: Record<string, string>;
}

/**
 * Builds the POST for one webhook: a JSON body describing the artifact and the changeset (never
 * the recipients: a webhook receiver is not one of them), the event name, a delivery id that a
 * retry keeps, and the HMAC-SHA256 signature of the body with the webhook's secret.
 */
export function buildWebhookRequest(notification: TrackerNotification, webhook: Webhook): WebhookRequest {
  const { artifact, changeset } = notification;
  const event = changeset.action === "create" ? "artifact.created" : "artifact.updated";
  const deliveryId = `${artifact.id}.${changeset.id}.${shortHash(webhook.url)}`;
  const body = JSON.stringify({
    event,
    deliveryId,
    artifact: { id: artifact.id, title: artifact.title, url: artifact.url, tracker: artifact.tracker, project: artifact.project },
    changeset: {
      id: changeset.id,
      action: changeset.action,
      author: changeset.author,
      submittedAt: changeset.submittedAt,
      fieldChanges: changeset.fieldChanges,
      comment: changeset.comment ?? null,
    },
  });
  return {
    deliveryId,
    body,
    headers: {
      "Content-Type": "application/json",
      "User-Agent": "backend-workers tracker-notification",
      "X-Tracker-Event": event,
      "X-Tracker-Delivery": deliveryId,
      [SIGNATURE_HEADER]: signWebhookBody(webhook.secret, body),
    },
  };
}
