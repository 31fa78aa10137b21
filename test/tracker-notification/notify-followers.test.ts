import { describe, expect, it } from "vitest";
import { BackendWorkersError } from "../../shared/errors.ts";
import { MARKER_TTL_MS } from "../../functions/tracker-notification/delivery-markers.ts";
import { notifyFollowers } from "../../functions/tracker-notification/notify-followers.ts";
import { shortHash } from "../../functions/tracker-notification/short-hash.ts";
import { fakeContext, FakeMailer, InMemoryKv } from "./fakes.ts";
import { aNotification, manyRecipients, parsed } from "./notification-builder.ts";

const temporary = () => new BackendWorkersError("SMTP_TEMPORARY", "SMTP: 451 4.7.1 try later", { retryable: true });
const refused = () => new BackendWorkersError("SMTP_REJECTED", "SMTP: 550 5.1.1 no such user", { retryable: false });
const mailKey = (address: string) => `mail:42:1001:${shortHash(address)}`;

describe("notifyFollowers with fake ports", () => {
  it("mails each distinct recipient once and marks each delivery for a week", async () => {
    // Prepare
    const input = aNotification({ recipients: [{ address: "bob@example.com" }, { address: "BOB@example.com" }, { address: "carol@example.com", format: "text" }] });
    const kv = new InMemoryKv();
    const mailer = new FakeMailer();
    const ctx = fakeContext({ kv, mailer });

    // Act
    const report = await notifyFollowers(parsed(input), ctx);

    // Assess
    expect(mailer.sent.map((mail) => mail.to)).toEqual(["bob@example.com", "carol@example.com"]);
    expect(report.mail.sent).toBe(2);
    expect(kv.values.get(mailKey("bob@example.com"))).toBe("delivered job-1 1");
    expect(kv.ttls.get(mailKey("bob@example.com"))).toBe(MARKER_TTL_MS);
    expect(ctx.logs.find((line) => line.msg === "tracker notification summary")).toMatchObject({ mailsSent: 2, recipientsInvalid: 0 });
  });

  it("reports and skips an invalid address and a refused recipient without failing the job, and never retries them", async () => {
    // Prepare
    const input = aNotification({ recipients: [{ address: "bob@example.com" }, { address: "not an address" }, { address: "x@y.com, z@evil.example" }, { address: "gone@example.com" }] });
    const kv = new InMemoryKv();
    const mailer = new FakeMailer((message) => (message.to === "gone@example.com" ? refused() : undefined));
    const first = fakeContext({ kv, mailer });

    // Act
    const report = await notifyFollowers(parsed(input), first);
    const again = await notifyFollowers(parsed(input), fakeContext({ kv, mailer }, { attempt: 2 }));

    // Assess
    expect(report.mail.invalid.map((problem) => problem.address)).toEqual(["not an address", "x@y.com, z@evil.example"]);
    expect(report.mail.refused).toEqual([{ address: "gone@example.com", code: "SMTP_REJECTED", reason: "SMTP: 550 5.1.1 no such user" }]);
    expect(first.logs.filter((line) => line.level === 40).map((line) => line.recipient)).toEqual(["not an address", "x@y.com, z@evil.example", "gone@example.com"]);
    expect(mailer.attempts).toEqual(["bob@example.com", "gone@example.com"]);
    expect(again.mail).toMatchObject({ sent: 0, alreadyDelivered: 1, previouslyRefused: 1 });
  });

  it("fails the job retryably after the others were sent, and the retry sends only the missing mail", async () => {
    // Prepare
    const input = aNotification({ recipients: manyRecipients(5) });
    const kv = new InMemoryKv();
    let failures = 0;
    const mailer = new FakeMailer((message) => (message.to === "user2@example.com" && failures++ === 0 ? temporary() : undefined));

    // Act
    const firstRun = notifyFollowers(parsed(input), fakeContext({ kv, mailer }, { attempt: 1 }));
    await expect(firstRun).rejects.toMatchObject({ code: "NOTIFICATION_INCOMPLETE", retryable: true, details: { mailsPending: 1, codes: ["SMTP_TEMPORARY"] } });
    const attemptsAfterFirst = [...mailer.attempts];
    const retry = await notifyFollowers(parsed(input), fakeContext({ kv, mailer }, { attempt: 2 }));

    // Assess
    expect(attemptsAfterFirst).toHaveLength(5);
    expect(mailer.attempts.slice(5)).toEqual(["user2@example.com"]);
    expect(retry.mail).toMatchObject({ sent: 1, alreadyDelivered: 4 });
    expect(mailer.sent.map((mail) => mail.to).sort()).toEqual(manyRecipients(5).map((r) => r.address).sort());
  });

  it("takes over a claim its own crashed attempt left, and leaves another job's claim alone", async () => {
    // Prepare
    const input = aNotification({ recipients: [{ address: "bob@example.com" }, { address: "carol@example.com" }] });
    const kv = new InMemoryKv();
    await kv.set(mailKey("bob@example.com"), "claimed job-1 1");
    await kv.set(mailKey("carol@example.com"), "claimed job-other 1");
    const mailer = new FakeMailer();

    // Act
    const report = await notifyFollowers(parsed(input), fakeContext({ kv, mailer }, { jobId: "job-1", attempt: 2 }));

    // Assess
    expect(mailer.sent.map((mail) => mail.to)).toEqual(["bob@example.com"]);
    expect(report.mail.busy).toBe(1);
    expect(kv.values.get(mailKey("bob@example.com"))).toBe("delivered job-1 2");
    expect(kv.values.get(mailKey("carol@example.com"))).toBe("claimed job-other 1");
  });

  it("fails the job when a webhook fails, and the retry calls only that webhook and mails nobody again", async () => {
    // Prepare
    const input = aNotification({
      webhooks: [
        { url: "https://ci.example.com/hook?token=t0ps3cret", secret: "s1" },
        { url: "https://chat.example.com/hook", secret: "s2" },
      ],
    });
    const kv = new InMemoryKv();
    const mailer = new FakeMailer();
    const calls: string[] = [];
    let ciCalls = 0;
    const fetch = (async (url: string | URL | Request) => {
      calls.push(String(url));
      const down = String(url).startsWith("https://ci.") && ciCalls++ === 0;
      return new Response(null, { status: down ? 503 : 204 });
    }) as typeof globalThis.fetch;

    // Act
    const first = fakeContext({ kv, mailer, fetch });
    await expect(notifyFollowers(parsed(input), first)).rejects.toMatchObject({ code: "NOTIFICATION_INCOMPLETE", details: { webhooksPending: 1, codes: ["WEBHOOK_HTTP_STATUS"] } });
    const retry = await notifyFollowers(parsed(input), fakeContext({ kv, mailer, fetch }, { attempt: 2 }));

    // Assess
    expect(calls.filter((url) => url.startsWith("https://ci."))).toHaveLength(2);
    expect(calls.filter((url) => url.startsWith("https://chat."))).toHaveLength(1);
    expect(mailer.attempts).toHaveLength(2);
    expect(retry.webhooks).toMatchObject({ delivered: 1, alreadyDelivered: 1, failed: [] });
    // The token in the query never reaches a log line.
    expect(JSON.stringify(first.logs)).not.toContain("t0ps3cret");
  });

  it("starts no new mail once the job's signal aborts and leaves no claim behind", async () => {
    // Prepare
    const input = aNotification({ recipients: manyRecipients(50) });
    const kv = new InMemoryKv();
    const controller = new AbortController();
    const mailer = new FakeMailer(() => {
      if (controller.signal.aborted === false) controller.abort(new BackendWorkersError("TIMEOUT", "job timed out"));
      return undefined;
    });

    // Act
    const run = notifyFollowers(parsed(input), fakeContext({ kv, mailer }, { signal: controller.signal }));

    // Assess
    await expect(run).rejects.toMatchObject({ code: "TIMEOUT" });
    expect(mailer.sent.length).toBeGreaterThan(0);
    expect(mailer.sent.length).toBeLessThan(50);
    const values = [...kv.values.values()];
    expect(values.filter((value) => value.startsWith("delivered"))).toHaveLength(mailer.sent.length);
    expect(values.filter((value) => value.startsWith("claimed"))).toHaveLength(0);
  });
});
