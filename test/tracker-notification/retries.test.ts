import { afterEach, describe, expect, inject, it } from "vitest";
import { freePort } from "../../shared/embedded/embedded-redis.ts";
import { startHttpPeer } from "../helpers/http-peer.ts";
import { startSmtpPeer, type SmtpPeer, type SmtpPeerOptions } from "../helpers/smtp-peer.ts";
import { waitFor } from "../helpers/wait-for.ts";
import { startHarness, type Harness, type HarnessOptions } from "./notification-harness.ts";
import { aNotification, manyRecipients } from "./notification-builder.ts";

const redisUrl = inject("redisUrl");

describe("tracker-notification retries through the real listener", () => {
  const cleanups: (() => unknown)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });
  const smtpPeer = async (options?: SmtpPeerOptions): Promise<SmtpPeer> => {
    const smtp = await startSmtpPeer(options);
    cleanups.push(() => smtp.close());
    return smtp;
  };
  const harness = async (smtpUrl: string, settings?: HarnessOptions["settings"]): Promise<Harness> => {
    const started = await startHarness({ redisUrl, smtpUrl, settings });
    cleanups.push(() => started.stop());
    return started;
  };
  const mailsPerRecipient = (smtp: SmtpPeer): number[] => [...new Set(smtp.messages.flatMap((mail) => mail.to))].map((address) => smtp.messagesTo(address).length);

  it("retries a temporary SMTP refusal of one recipient: only that one is attempted again, everyone gets one mail", async () => {
    // Prepare
    const smtp = await smtpPeer({ onRecipient: (address, attempt) => (address === "user3@example.com" && attempt === 1 ? { code: 451, message: "4.7.1 greylisted, try later" } : undefined) });
    const workers = await harness(smtp.url);
    const recipients = manyRecipients(6);

    // Act
    await workers.publish(aNotification({ recipients }));
    await workers.settled();

    // Assess
    const attempts = Object.fromEntries(smtp.recipientAttempts);
    expect(attempts).toEqual(Object.fromEntries(recipients.map((recipient) => [recipient.address, recipient.address === "user3@example.com" ? 2 : 1])));
    expect(smtp.messages).toHaveLength(6);
    expect(mailsPerRecipient(smtp)).toEqual(Array(6).fill(1));
    expect(await workers.redis.xlen(workers.keys.dlq)).toBe(0);
    const summaries = await waitFor(() => (workers.summaries().length >= 2 ? workers.summaries() : undefined), { message: "no summary per attempt" });
    expect(summaries).toEqual([
      expect.objectContaining({ attempt: 1, mailsSent: 5, mailsFailedTemporarily: 1 }),
      expect.objectContaining({ attempt: 2, mailsSent: 1, mailsAlreadyDelivered: 5, mailsFailedTemporarily: 0 }),
    ]);
  });

  it("retries a webhook that is down without sending the mails again", async () => {
    // Prepare
    const smtp = await smtpPeer();
    const hook = await startHttpPeer((_request, index) => (index <= 2 ? { status: 503, body: "maintenance" } : { status: 200 }));
    cleanups.push(() => hook.close());
    const workers = await harness(smtp.url);

    // Act
    await workers.publish(aNotification({ recipients: manyRecipients(4), webhooks: [{ url: `${hook.url}/ci`, secret: "ci-secret-123" }] }));
    await workers.settled();

    // Assess
    expect(hook.requests).toHaveLength(3);
    expect(new Set(hook.requests.map((request) => request.headers["x-tracker-delivery"])).size).toBe(1);
    expect(smtp.messages).toHaveLength(4);
    expect([...smtp.recipientAttempts.values()]).toEqual([1, 1, 1, 1]);
    expect(await workers.redis.xlen(workers.keys.dlq)).toBe(0);
    const markers = [...(await workers.markers()).entries()];
    expect(markers.filter(([key, value]) => key.startsWith("webhook:") && value.startsWith("delivered") && value.endsWith(" 3"))).toHaveLength(1);
  });

  it("retries while the SMTP server refuses connections and delivers once it is up", async () => {
    // Prepare: SMTP_URL points at a port where nothing listens yet
    const port = await freePort();
    const workers = await harness(`smtp://127.0.0.1:${port}`, { maximumRetryAttempts: 50, backoff: { baseMs: 50, maxMs: 200 } });

    // Act
    await workers.publish(aNotification({ recipients: manyRecipients(3) }));
    await waitFor(() => workers.summaries().some((line) => line.mailsFailedTemporarily === 3), { message: "no attempt failed on the refused connection" });
    const smtp = await smtpPeer({ port });
    await workers.settled();

    // Assess
    expect(smtp.messages).toHaveLength(3);
    expect(mailsPerRecipient(smtp)).toEqual([1, 1, 1]);
    expect(await workers.redis.xlen(workers.keys.dlq)).toBe(0);
  });

  it("dead-letters the job when a webhook stays down, after mailing everyone once", async () => {
    // Prepare
    const smtp = await smtpPeer();
    const hook = await startHttpPeer(() => ({ status: 500 }));
    cleanups.push(() => hook.close());
    const workers = await harness(smtp.url, { maximumRetryAttempts: 2 });

    // Act
    await workers.publish(aNotification({ recipients: manyRecipients(3), webhooks: [{ url: `${hook.url}/broken`, secret: "x-secret" }] }));
    await workers.settled();

    // Assess
    expect(hook.requests).toHaveLength(3);
    expect(smtp.messages).toHaveLength(3);
    const dead = await workers.redis.xrange(workers.keys.dlq, "-", "+");
    expect(dead).toHaveLength(1);
    const fields = dead[0]![1];
    expect(fields[fields.indexOf("error_code") + 1]).toBe("NOTIFICATION_INCOMPLETE");
    expect(fields[fields.indexOf("error_message") + 1]).toContain("WEBHOOK_HTTP_STATUS");
  });

  it("delivers 1,000 recipients each exactly once over the pooled connections, greylisted ones on a retry", async () => {
    // Prepare
    const greylisted = new Set(Array.from({ length: 10 }, (_, i) => `user${i * 97}@example.com`));
    const smtp = await smtpPeer({ onRecipient: (address, attempt) => (greylisted.has(address) && attempt === 1 ? { code: 450, message: "4.2.0 greylisted" } : undefined) });
    const workers = await harness(smtp.url);
    const recipients = manyRecipients(1000);

    // Act
    await workers.publish(aNotification({ recipients }));
    await workers.settled(60_000);

    // Assess
    expect(smtp.messages).toHaveLength(1000);
    expect(new Set(smtp.messages.map((mail) => mail.to[0]))).toEqual(new Set(recipients.map((recipient) => recipient.address)));
    expect(mailsPerRecipient(smtp).every((count) => count === 1)).toBe(true);
    const attempts = [...smtp.recipientAttempts.entries()];
    expect(attempts.filter(([, count]) => count === 2).map(([address]) => address).sort()).toEqual([...greylisted].sort());
    expect(attempts.filter(([, count]) => count > 2)).toEqual([]);
    // 5 pooled connections, plus one new connection per refusal: nodemailer closes a pooled
    // connection after any failed message. Unpooled, it would be one per message (1,010).
    expect(smtp.sessions.size).toBeLessThanOrEqual(5 + greylisted.size);
    expect(await workers.redis.xlen(workers.keys.dlq)).toBe(0);
    const delivered = [...(await workers.markers()).values()].filter((value) => value.startsWith("delivered"));
    expect(delivered).toHaveLength(1000);
  });
});
