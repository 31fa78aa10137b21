import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { createMailer, type ClosableMailer } from "../../shared/mail/create-mailer.ts";
import { toMailError } from "../../shared/mail/smtp-error.ts";
import { startSmtpPeer, type SmtpPeer } from "../helpers/smtp-peer.ts";
import { parseMail } from "./parse-mail.ts";

const silent = pino({ level: "silent" });

describe("the SMTP mailer against a real SMTP server", () => {
  const cleanups: (() => unknown)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  const open = async (peer: SmtpPeer | string, maxConnections?: number): Promise<ClosableMailer> => {
    const smtpUrl = typeof peer === "string" ? peer : peer.url;
    const mailer = createMailer({ smtpUrl, from: "Tracker <tracker@example.com>", mailDir: mkdtempSync(join(tmpdir(), "bw-mail-")), logger: silent, maxConnections });
    cleanups.push(() => mailer.close());
    return mailer;
  };
  const peer = async (options?: Parameters<typeof startSmtpPeer>[0]): Promise<SmtpPeer> => {
    const started = await startSmtpPeer(options);
    cleanups.push(() => started.close());
    return started;
  };

  it("sends many messages over no more pooled connections than configured", async () => {
    // Prepare
    const smtp = await peer();
    const mailer = await open(smtp, 3);
    const addresses = Array.from({ length: 200 }, (_, i) => `u${i}@example.com`);

    // Act
    await Promise.all(addresses.map((to) => mailer.send({ to, subject: "s", text: "t" })));

    // Assess
    expect(smtp.messages).toHaveLength(200);
    expect(smtp.sessions.size).toBeLessThanOrEqual(3);
    expect(new Set(smtp.messages.flatMap((mail) => mail.to))).toEqual(new Set(addresses));
  });

  it("writes the display name safely and passes threading headers and both parts", async () => {
    // Prepare
    const smtp = await peer();
    const mailer = await open(smtp);

    // Act
    const receipt = await mailer.send({
      to: "bob@example.com",
      toName: 'Bob, "the" <builder>, eve@evil.example',
      subject: "[bug #1] Café",
      text: "plain",
      html: "<p>rich</p>",
      messageId: "<m.1@tuleap.example.com>",
      inReplyTo: "<root@tuleap.example.com>",
      references: ["<root@tuleap.example.com>"],
    });

    // Assess
    expect(receipt).toMatchObject({ messageId: "<m.1@tuleap.example.com>", accepted: ["bob@example.com"], rejected: [] });
    expect(smtp.messages.map((mail) => mail.to)).toEqual([["bob@example.com"]]);
    const mail = parseMail(smtp.messages[0]!.raw);
    expect(mail.headers.get("subject")).toBe("[bug #1] Café");
    expect(mail.headers.get("from")).toBe("Tracker <tracker@example.com>");
    expect(mail.headers.get("in-reply-to")).toBe("<root@tuleap.example.com>");
    expect(mail.headers.get("references")).toBe("<root@tuleap.example.com>");
    expect(mail.contentType).toBe("multipart/alternative");
    expect(mail.part("text/plain")).toBe("plain");
    expect(mail.part("text/html")).toBe("<p>rich</p>");
  });

  it.each([
    ["a 4xx reply to RCPT TO", { onRecipient: () => ({ code: 451, message: "4.7.1 greylisted" }) }, { code: "SMTP_TEMPORARY", retryable: true, details: { responseCode: 451, command: "RCPT TO" } }],
    ["a 5xx reply to RCPT TO", { onRecipient: () => ({ code: 550, message: "5.1.1 no such user" }) }, { code: "SMTP_REJECTED", retryable: false, details: { responseCode: 550 } }],
    ["a 5xx reply to the message", { onMessage: () => ({ code: 554, message: "5.7.1 content refused" }) }, { code: "SMTP_REJECTED", retryable: false, details: { responseCode: 554 } }],
    ["a 4xx reply to the message", { onMessage: () => ({ code: 452, message: "4.3.1 disk full" }) }, { code: "SMTP_TEMPORARY", retryable: true }],
  ])("classifies %s", async (_name, options, expected) => {
    // Prepare
    const smtp = await peer(options);
    const mailer = await open(smtp);

    // Act
    const sending = mailer.send({ to: "bob@example.com", subject: "s", text: "t" });

    // Assess
    await expect(sending).rejects.toMatchObject(expected);
  });

  it("treats a refused connection as temporary", async () => {
    // Prepare: a port that was just free and is closed again
    const gone = await startSmtpPeer();
    await gone.close();
    const mailer = await open(gone.url);

    // Act
    const sending = mailer.send({ to: "bob@example.com", subject: "s", text: "t" });

    // Assess
    await expect(sending).rejects.toMatchObject({ code: "SMTP_TEMPORARY", retryable: true, details: { smtpCode: "ECONNREFUSED" } });
  });

  it("writes an .eml file under the mail dir when there is no SMTP server", async () => {
    // Prepare
    const mailDir = join(mkdtempSync(join(tmpdir(), "bw-var-")), "mail");
    const lines: string[] = [];
    const logger = pino({ level: "info" }, { write: (line: string) => void lines.push(line) });
    const mailer = createMailer({ smtpUrl: undefined, from: "tracker@example.com", mailDir, logger });
    cleanups.push(() => mailer.close());

    // Act
    const receipt = await mailer.send({ to: "bob@example.com", toName: "Bob", subject: "[bug #1] hello", text: "plain", html: "<p>x</p>", messageId: "<m.2@tuleap.example.com>" });

    // Assess
    const files = readdirSync(mailDir);
    expect(files).toHaveLength(1);
    const mail = parseMail(readFileSync(join(mailDir, files[0]!), "utf8"));
    expect(mail.headers.get("to")).toBe("Bob <bob@example.com>");
    expect(mail.headers.get("message-id")).toBe("<m.2@tuleap.example.com>");
    expect(mail.part("text/html")).toBe("<p>x</p>");
    expect(receipt.accepted).toEqual(["bob@example.com"]);
    expect(lines.join("")).toContain(join(mailDir, files[0]!));
  });
});

describe("toMailError", () => {
  it.each([
    ["a refused sender (5xx to MAIL FROM)", { code: "EENVELOPE", responseCode: 553, command: "MAIL FROM", message: "sender not allowed" }, "SMTP_FAILED", true],
    ["failed authentication", { code: "EAUTH", responseCode: 535, command: "AUTH PLAIN", message: "bad credentials" }, "SMTP_FAILED", true],
    ["a TLS failure", { code: "ETLS", message: "Error initiating TLS" }, "SMTP_FAILED", true],
    ["a connection timeout", { code: "ETIMEDOUT", message: "Connection timeout" }, "SMTP_TEMPORARY", true],
    ["a message too large for the server", { code: "EMESSAGE", message: "Message size larger than allowed 1000" }, "SMTP_REJECTED", false],
    ["something unknown", new Error("boom"), "SMTP_FAILED", true],
  ])("classifies %s so no recipient is blamed for the server setup", (_name, error, code, retryable) => {
    // Act
    const mailError = toMailError(error);

    // Assess
    expect(mailError).toMatchObject({ code, retryable });
    expect(mailError.cause).toBe(error);
  });
});
