import { BackendWorkersError, errorCode, errorMessage } from "../../shared/errors.ts";
import type { JobContext } from "../../shared/handler/define-job-handler.ts";
import type { DeliveryMarkers } from "./delivery-markers.ts";
import { forEachLimited } from "./for-each-limited.ts";
import type { TrackerNotification, Webhook } from "./schema.ts";
import { shortHash } from "./short-hash.ts";
import { buildWebhookRequest } from "./webhook-request.ts";

/** Webhooks called at once; a tracker has a handful, and one slow receiver must not delay the rest. */
export const WEBHOOK_CONCURRENCY = 4;

/** A webhook that was not delivered in this run. `webhook` is its URL without the query (which may hold a token). */
export interface WebhookProblem {
  webhook: string;
  code: string;
  reason: string;
}

/** What happened to each webhook of one run. */
export interface WebhookReport {
  delivered: number;
  alreadyDelivered: number;
  busy: number;
  /** Non-2xx, timeout, unreachable: the job's retry calls them again. */
  failed: WebhookProblem[];
}

/**
 * Calls every webhook of the tracker once with a signed JSON POST. Each call has its own timeout
 * (the webhook's `timeoutMs`, cut short by the job's signal) and does not follow redirects (a
 * redirected POST turns into a GET and loses its body). A 2xx marks it delivered; anything else
 * releases the claim and is reported in `failed`, for the caller to fail the job after all other
 * deliveries were attempted.
 */
export async function deliverWebhooks(notification: TrackerNotification, ctx: JobContext, markers: DeliveryMarkers): Promise<WebhookReport> {
  const report: WebhookReport = { delivered: 0, alreadyDelivered: 0, busy: 0, failed: [] };
  const { artifact, changeset } = notification;
  const webhooks = [...new Map(notification.webhooks.map((webhook) => [webhook.url, webhook])).values()];

  await forEachLimited(webhooks, WEBHOOK_CONCURRENCY, ctx.signal, async (webhook) => {
    const key = `webhook:${artifact.id}:${changeset.id}:${shortHash(webhook.url)}`;
    const claim = await markers.claim(key);
    if (claim === "delivered" || claim === "refused") report.alreadyDelivered++;
    if (claim === "busy") report.busy++;
    if (claim !== "claimed") return;

    const label = withoutQuery(webhook.url);
    let failure: unknown;
    try {
      await post(notification, webhook, ctx);
    } catch (error) {
      failure = error;
    }
    if (failure === undefined) {
      await markers.delivered(key);
      report.delivered++;
      ctx.logger.info({ webhook: label }, "webhook delivered");
      return;
    }
    await markers.release(key);
    const problem: WebhookProblem = { webhook: label, code: errorCode(failure), reason: errorMessage(failure) };
    report.failed.push(problem);
    ctx.logger.warn({ webhook: label, code: problem.code, err: problem.reason }, "webhook failed; the job's retry calls it again");
  });
  return report;
}

async function post(notification: TrackerNotification, webhook: Webhook, ctx: JobContext): Promise<void> {
  const request = buildWebhookRequest(notification, webhook);
  const timeout = AbortSignal.timeout(webhook.timeoutMs);
  let response: Response;
  try {
    response = await ctx.deps.fetch(webhook.url, { method: "POST", headers: request.headers, body: request.body, redirect: "manual", signal: AbortSignal.any([ctx.signal, timeout]) });
  } catch (error) {
    if (timeout.aborted && !ctx.signal.aborted) {
      throw new BackendWorkersError("WEBHOOK_TIMEOUT", `no response within ${webhook.timeoutMs} ms`, { details: { timeoutMs: webhook.timeoutMs } });
    }
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    throw new BackendWorkersError("WEBHOOK_UNREACHABLE", `request failed: ${cause?.code ?? cause?.message ?? errorMessage(error)}`, { cause: error });
  }
  // The receiver's answer is not used; cancelling frees the connection without reading a body of any size.
  await response.body?.cancel().catch(() => undefined);
  if (response.status < 200 || response.status > 299) {
    throw new BackendWorkersError("WEBHOOK_HTTP_STATUS", `answered HTTP ${response.status}`, { details: { status: response.status } });
  }
}

function withoutQuery(url: string): string {
  const parsed = new URL(url);
  return `${parsed.origin}${parsed.pathname}`;
}
