import { createHmac } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, inject, it } from "vitest";
import { startHttpPeer } from "../helpers/http-peer.ts";
import { startSmtpPeer, type SmtpPeerOptions } from "../helpers/smtp-peer.ts";
import { waitFor } from "../helpers/wait-for.ts";
import { startHarness, type Harness } from "./notification-harness.ts";
import { aNotification } from "./notification-builder.ts";
import { parseMail } from "./parse-mail.ts";

const redisUrl = inject("redisUrl");
const EXAMPLE = join(import.meta.dirname, "..", "..", "functions", "tracker-notification", "example.json");

describe("tracker-notification through the listener, real SMTP and HTTP", () => {
  const cleanups: (() => unknown)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });
  const world = async (smtpOptions?: SmtpPeerOptions): Promise<{ harness: Harness; smtp: Awaited<ReturnType<typeof startSmtpPeer>> }> => {
    const smtp = await startSmtpPeer(smtpOptions);
    cleanups.push(() => smtp.close());
    const harness = await startHarness({ redisUrl, smtpUrl: smtp.url });
    cleanups.push(() => harness.stop());
    return { harness, smtp };
  };

  it("mails each recipient with the right subject, parts, threading headers and escaped HTML, and signs the webhook call", async () => {
    // Prepare
    const { harness, smtp } = await world();
    const hook = await startHttpPeer();
    cleanups.push(() => hook.close());
    const secret = "s3cr3t-of-the-bug-tracker";
    const payload = aNotification({ webhooks: [{ url: `${hook.url}/tuleap`, secret }] });

    // Act
    await harness.publish(payload);
    await harness.settled();

    // Assess: the HTML recipient
    expect(await harness.redis.xlen(harness.keys.dlq)).toBe(0);
    const [toBob] = smtp.messagesTo("bob@example.com");
    const bob = parseMail(toBob!.raw);
    expect(bob.headers.get("subject")).toBe("[bug #42] Login fails with <script>alert('x')</script> & more");
    expect(bob.headers.get("to")).toBe("Bob Durand <bob@example.com>");
    expect(bob.headers.get("message-id")).toMatch(/^<tracker-artifact\.42\.1001\.[0-9a-f]{20}@tuleap\.example\.com>$/);
    expect(bob.headers.get("in-reply-to")).toBe("<tracker-artifact.42@tuleap.example.com>");
    expect(bob.headers.get("references")).toBe("<tracker-artifact.42@tuleap.example.com>");
    expect(bob.headers.get("auto-submitted")).toBe("auto-generated");
    expect(bob.contentType).toBe("multipart/alternative");
    expect(bob.part("text/plain")).toContain("Alice \"Al\" Martin updated bug #42: Login fails with <script>alert('x')</script> & more");
    const html = bob.part("text/html") ?? "";
    expect(html).toContain("Login fails with &lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; more");
    expect(html).not.toContain("<script>");
    // The text recipient gets one text part and its own Message-ID in the same thread.
    const dave = parseMail(smtp.messagesTo("dave@example.org")[0]!.raw);
    expect(dave.contentType).toBe("text/plain");
    expect(dave.parts).toHaveLength(1);
    expect(dave.headers.get("in-reply-to")).toBe("<tracker-artifact.42@tuleap.example.com>");
    expect(dave.headers.get("message-id")).not.toBe(bob.headers.get("message-id"));
    // The webhook: one signed POST.
    expect(hook.requests).toHaveLength(1);
    const call = hook.requests[0]!;
    expect(call.headers["x-hub-signature-256"]).toBe(`sha256=${createHmac("sha256", secret).update(call.body).digest("hex")}`);
    expect(JSON.parse(call.body.toString("utf8"))).toMatchObject({ event: "artifact.updated", artifact: { id: 42 }, changeset: { id: 1001 } });
  });

  it("delivers the example payload of the README", async () => {
    // Prepare
    const { harness, smtp } = await world();
    const example = JSON.parse(readFileSync(EXAMPLE, "utf8")) as { recipients: { address: string }[] };

    // Act
    await harness.publish(example);
    await harness.settled();

    // Assess
    expect(smtp.messages.map((mail) => mail.to[0]).sort()).toEqual(example.recipients.map((recipient) => recipient.address).sort());
    const mail = parseMail(smtp.messages[0]!.raw);
    expect(mail.headers.get("subject")).toBe("[bug #1342] Login page shows a blank screen after an expired session");
    expect(await harness.redis.xlen(harness.keys.dlq)).toBe(0);
  });

  it("reports and skips an invalid address and a recipient the server refuses, without retrying the job", async () => {
    // Prepare
    const { harness, smtp } = await world({ onRecipient: (address) => (address === "gone@example.com" ? { code: 550, message: "5.1.1 mailbox unavailable" } : undefined) });
    const payload = aNotification({ recipients: [{ address: "bob@example.com" }, { address: "bob(at)example.com" }, { address: "gone@example.com" }] });

    // Act
    await harness.publish(payload);
    await harness.settled();

    // Assess
    expect(smtp.messages.map((mail) => mail.to)).toEqual([["bob@example.com"]]);
    expect(Object.fromEntries(smtp.recipientAttempts)).toEqual({ "bob@example.com": 1, "gone@example.com": 1 });
    expect(await harness.redis.xlen(harness.keys.dlq)).toBe(0);
    const markers = [...(await harness.markers()).values()];
    expect(markers.filter((value) => value.startsWith("refused"))).toEqual([expect.stringMatching(/^refused \S+ 1 SMTP_REJECTED$/)]);
    const warnings = await waitFor(() => {
      const lines = harness.logLines().filter((line) => typeof line.recipient === "string");
      return lines.length >= 2 ? lines : undefined;
    }, { message: "the skipped recipients were not logged" });
    expect(warnings?.map((line) => [line.recipient, line.msg])).toEqual(
      expect.arrayContaining([
        ["bob(at)example.com", "recipient skipped: not an email address"],
        ["gone@example.com", "recipient refused by the SMTP server; skipped"],
      ]),
    );
  });

  it("never mails twice when the same changeset is published as two jobs", async () => {
    // Prepare
    const { harness, smtp } = await world();
    const payload = aNotification({ recipients: Array.from({ length: 30 }, (_, i) => ({ address: `twice${i}@example.com` })) });

    // Act
    await Promise.all([harness.publish(payload), harness.publish(payload)]);
    await harness.settled();

    // Assess
    expect(smtp.messages).toHaveLength(30);
    expect(new Set(smtp.messages.map((mail) => mail.to[0])).size).toBe(30);
    expect(await harness.redis.xlen(harness.keys.dlq)).toBe(0);
  });
});
