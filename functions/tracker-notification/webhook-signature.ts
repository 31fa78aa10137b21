import { createHmac } from "node:crypto";

/** The header carrying the signature; GitHub's name and format, which webhook libraries already verify. */
export const SIGNATURE_HEADER = "X-Hub-Signature-256";

/**
 * Signs a webhook body with the webhook's secret: `sha256=` and the hex HMAC-SHA256 of the exact
 * bytes sent. The receiver recomputes it over the raw body (before any JSON parsing) and compares
 * in constant time; a body altered on the way, or sent by anyone without the secret, fails.
 */
export function signWebhookBody(secret: string, body: string): string {
  return `sha256=${createHmac("sha256", secret).update(body, "utf8").digest("hex")}`;
}
