import type { AddressInfo } from "node:net";
import { SMTPServer, type SMTPServerAddress, type SMTPServerSession } from "smtp-server";

/** A reply the peer gives instead of accepting, e.g. `{ code: 451, message: "try later" }`. */
export interface SmtpReply {
  code: number;
  message: string;
}

/** One message the peer accepted: the envelope as the client sent it and the raw RFC 5322 text. */
export interface ReceivedMail {
  from: string;
  /** Accepted recipients, lower-cased. */
  to: string[];
  raw: string;
  /** SMTP session id, so a test can tell how many connections carried the messages. */
  sessionId: string;
}

/** Options of {@link startSmtpPeer}. */
export interface SmtpPeerOptions {
  /** Port to listen on (0 = any free one); a fixed one lets a test start the server late. */
  port?: number;
  /**
   * Decides the reply to each RCPT TO. `attempt` counts the RCPT TO of this address so far
   * (1-based), so "refuse the first time only" is one line. Undefined accepts.
   */
  onRecipient?(address: string, attempt: number): SmtpReply | undefined;
  /** Decides the reply to the end of DATA for the given accepted recipients. Undefined accepts. */
  onMessage?(to: string[]): SmtpReply | undefined;
}

/** A real SMTP server in the test process, recording what it was sent. */
export interface SmtpPeer {
  /** `smtp://127.0.0.1:<port>`, ready for SMTP_URL. */
  url: string;
  port: number;
  /** Every accepted message, in arrival order. */
  readonly messages: ReceivedMail[];
  /** RCPT TO commands per lower-cased address, accepted or not. */
  readonly recipientAttempts: Map<string, number>;
  /** Ids of the SMTP sessions (connections) that were opened. */
  readonly sessions: Set<string>;
  /** The messages whose envelope includes `address`. */
  messagesTo(address: string): ReceivedMail[];
  close(): Promise<void>;
}

/**
 * Starts an `smtp-server` on 127.0.0.1 without TLS or authentication, the way a local relay
 * (Postfix on localhost) is usually reached. Replies are scriptable per recipient and per
 * message, so tests can make one recipient fail temporarily or for good.
 */
export async function startSmtpPeer(options: SmtpPeerOptions = {}): Promise<SmtpPeer> {
  const messages: ReceivedMail[] = [];
  const recipientAttempts = new Map<string, number>();
  const sessions = new Set<string>();
  const refuse = (reply: SmtpReply): Error => Object.assign(new Error(reply.message), { responseCode: reply.code });

  const server = new SMTPServer({
    authOptional: true,
    // Reverse DNS of 127.0.0.1 can wait seconds for a resolver this sandbox does not have.
    disableReverseLookup: true,
    disabledCommands: ["STARTTLS", "AUTH"],
    logger: false,
    // Pooled clients keep idle connections open; close() must not wait the default 30 s for them.
    closeTimeout: 200,
    onConnect(session: SMTPServerSession, callback: (error?: Error) => void) {
      sessions.add(session.id);
      callback();
    },
    onRcptTo(address: SMTPServerAddress, _session: SMTPServerSession, callback: (error?: Error) => void) {
      const key = address.address.toLowerCase();
      const attempt = (recipientAttempts.get(key) ?? 0) + 1;
      recipientAttempts.set(key, attempt);
      const reply = options.onRecipient?.(key, attempt);
      callback(reply ? refuse(reply) : undefined);
    },
    onData(stream: NodeJS.ReadableStream, session: SMTPServerSession, callback: (error?: Error | null) => void) {
      const chunks: Buffer[] = [];
      stream.on("data", (chunk: Buffer) => chunks.push(chunk));
      stream.on("end", () => {
        const to = session.envelope.rcptTo.map((rcpt) => rcpt.address.toLowerCase());
        const reply = options.onMessage?.(to);
        if (reply) return callback(refuse(reply));
        const from = session.envelope.mailFrom ? session.envelope.mailFrom.address : "";
        messages.push({ from, to, raw: Buffer.concat(chunks).toString("utf8"), sessionId: session.id });
        callback(null);
      });
    },
  });
  server.on("error", () => undefined);

  await new Promise<void>((resolve, reject) => {
    server.server.once("error", reject);
    server.listen(options.port ?? 0, "127.0.0.1", () => resolve());
  });
  const port = (server.server.address() as AddressInfo).port;
  return {
    url: `smtp://127.0.0.1:${port}`,
    port,
    messages,
    recipientAttempts,
    sessions,
    messagesTo: (address) => messages.filter((mail) => mail.to.includes(address.toLowerCase())),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
