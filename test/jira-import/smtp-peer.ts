import { SMTPServer } from "smtp-server";
import type { AddressInfo } from "node:net";

/** A mail the peer accepted. */
export interface ReceivedMail {
  to: string[];
  raw: string;
}

/** A local SMTP server that accepts everything and keeps what it got, for tests. */
export interface SmtpPeer {
  url: string;
  mails: ReceivedMail[];
  close(): Promise<void>;
}

/** Starts an SMTP peer on a free loopback port (no TLS, no auth). */
export async function startSmtpPeer(): Promise<SmtpPeer> {
  const mails: ReceivedMail[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ["STARTTLS"],
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on("data", (chunk: Buffer) => chunks.push(chunk));
      stream.on("end", () => {
        mails.push({ to: session.envelope.rcptTo.map((rcpt) => rcpt.address), raw: Buffer.concat(chunks).toString("utf8") });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const { port } = server.server.address() as AddressInfo;
  return { url: `smtp://127.0.0.1:${port}`, mails, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

/** A raw mail with quoted-printable soft breaks and escapes undone, for text assertions. */
export function mailText(raw: string): string {
  return raw.replace(/=\r?\n/g, "").replace(/=([0-9A-F]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}
