import { createHmac, timingSafeEqual } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import { notifyFollowers } from "../../functions/tracker-notification/notify-followers.ts";
import { startHttpPeer, type HttpPeer, type HttpPeerReply, type ReceivedRequest } from "../helpers/http-peer.ts";
import { fakeContext, InMemoryKv } from "./fakes.ts";
import { aNotification, parsed } from "./notification-builder.ts";

const SECRET = "whsec-3f1c9a7e-tracker-101";

/** How a receiver checks the signature: HMAC-SHA256 over the raw bytes, constant-time compare. */
function signatureVerifies(request: ReceivedRequest, secret: string): boolean {
  const expected = Buffer.from(`sha256=${createHmac("sha256", secret).update(request.body).digest("hex")}`);
  const given = Buffer.from(String(request.headers["x-hub-signature-256"] ?? ""));
  return given.length === expected.length && timingSafeEqual(given, expected);
}

describe("webhooks against a real HTTP server", () => {
  const cleanups: (() => unknown)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });
  const server = async (respond?: (request: ReceivedRequest, index: number) => HttpPeerReply): Promise<HttpPeer> => {
    const peer = await startHttpPeer(respond);
    cleanups.push(() => peer.close());
    return peer;
  };
  const notification = (webhooks: Record<string, unknown>[]) => parsed(aNotification({ recipients: [], webhooks }));

  it("POSTs the changeset as JSON with a signature that verifies with the webhook's secret", async () => {
    // Prepare
    const peer = await server();
    const ctx = fakeContext({ kv: new InMemoryKv(), fetch: globalThis.fetch });

    // Act
    const report = await notifyFollowers(notification([{ url: `${peer.url}/hooks/tracker`, secret: SECRET }]), ctx);

    // Assess
    expect(report.webhooks.delivered).toBe(1);
    const [request] = peer.requests;
    expect(request).toMatchObject({ method: "POST", url: "/hooks/tracker" });
    expect(request!.headers["content-type"]).toBe("application/json");
    expect(signatureVerifies(request!, SECRET)).toBe(true);
    expect(signatureVerifies(request!, "another-secret")).toBe(false);
    const body = JSON.parse(request!.body.toString("utf8"));
    expect(body).toMatchObject({ event: "artifact.updated", artifact: { id: 42, tracker: { name: "bug" } }, changeset: { id: 1001, fieldChanges: [{ label: "Status", old: "New", new: "In progress" }, { label: "Assigned to", old: null, new: ["Bob Durand", "Carol <C>"] }] } });
    expect(request!.headers["x-tracker-delivery"]).toBe(body.deliveryId);
    expect(body).not.toHaveProperty("recipients");
    expect(request!.body.toString("utf8")).not.toContain(SECRET);
  });

  it("counts a webhook that does not answer in time as failed, keeps the same delivery id on retry, and releases it", async () => {
    // Prepare
    const peer = await server((_request, index) => (index === 1 ? "hang" : { status: 200 }));
    const kv = new InMemoryKv();
    const input = notification([{ url: `${peer.url}/slow`, secret: SECRET, timeoutMs: 200 }]);

    // Act
    const first = notifyFollowers(input, fakeContext({ kv, fetch: globalThis.fetch }));
    await expect(first).rejects.toMatchObject({ code: "NOTIFICATION_INCOMPLETE", retryable: true, details: { codes: ["WEBHOOK_TIMEOUT"] } });
    const markersAfterFailure = kv.values.size;
    const retry = await notifyFollowers(input, fakeContext({ kv, fetch: globalThis.fetch }, { attempt: 2 }));

    // Assess
    expect(markersAfterFailure).toBe(0);
    expect(retry.webhooks.delivered).toBe(1);
    expect(peer.requests).toHaveLength(2);
    expect(peer.requests[1]!.headers["x-tracker-delivery"]).toBe(peer.requests[0]!.headers["x-tracker-delivery"]);
  });

  it("does not follow a redirect, and reports a non-2xx status and an unreachable host", async () => {
    // Prepare
    const target = await server();
    const redirecting = await server(() => ({ status: 302, body: "" }));
    const failing = await server(() => ({ status: 500 }));
    const gone = await startHttpPeer();
    await gone.close();
    const input = notification([
      { url: `${redirecting.url}/moved`, secret: SECRET },
      { url: `${failing.url}/boom`, secret: SECRET },
      { url: `${gone.url}/nobody`, secret: SECRET },
      { url: `${target.url}/ok`, secret: SECRET },
    ]);

    // Act
    const run = notifyFollowers(input, fakeContext({ kv: new InMemoryKv(), fetch: globalThis.fetch }));

    // Assess
    const error = await run.then(
      () => undefined,
      (failure: unknown) => failure as { code: string; details: { webhooksPending: number; codes: string[] } },
    );
    expect(error).toMatchObject({ code: "NOTIFICATION_INCOMPLETE", details: { webhooksPending: 3 } });
    expect(new Set(error!.details.codes)).toEqual(new Set(["WEBHOOK_HTTP_STATUS", "WEBHOOK_UNREACHABLE"]));
    expect(redirecting.requests).toHaveLength(1);
    expect(failing.requests).toHaveLength(1);
    expect(target.requests).toHaveLength(1);
  });
});
