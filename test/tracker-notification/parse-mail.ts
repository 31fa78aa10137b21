/** One leaf part of a parsed mail, its body decoded to text. */
export interface MailPart {
  contentType: string;
  body: string;
}

/** A received mail as a test reads it: decoded headers (lower-case names) and leaf parts. */
export interface ParsedMail {
  headers: Map<string, string>;
  /** `multipart/alternative`, `text/plain`, ... of the whole message. */
  contentType: string;
  parts: MailPart[];
  part(type: "text/plain" | "text/html"): string | undefined;
}

/**
 * A small MIME reader for what nodemailer writes (RFC 5322 headers with RFC 2047 encoded words,
 * multipart bodies, 7bit / quoted-printable / base64 parts), so tests assert on what a mail client
 * would show rather than on the wire encoding.
 */
export function parseMail(raw: string): ParsedMail {
  const { headers, body } = splitEntity(raw);
  const parts: MailPart[] = [];
  collectParts(headers, body, parts);
  return {
    headers,
    contentType: mediaType(headers),
    parts,
    part: (type) => parts.find((part) => part.contentType === type)?.body,
  };
}

function splitEntity(raw: string): { headers: Map<string, string>; body: string } {
  const text = raw.replace(/\r\n/g, "\n");
  const end = text.indexOf("\n\n");
  const head = end < 0 ? text : text.slice(0, end);
  const body = end < 0 ? "" : text.slice(end + 2);
  const headers = new Map<string, string>();
  for (const line of head.replace(/\n[ \t]+/g, " ").split("\n")) {
    const colon = line.indexOf(":");
    if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), decodeWords(line.slice(colon + 1).trim()));
  }
  return { headers, body };
}

function mediaType(headers: Map<string, string>): string {
  return (headers.get("content-type") ?? "text/plain").split(";")[0]?.trim().toLowerCase() ?? "text/plain";
}

function collectParts(headers: Map<string, string>, body: string, parts: MailPart[]): void {
  const type = mediaType(headers);
  if (type.startsWith("multipart/")) {
    const boundary = /boundary="?([^";]+)"?/i.exec(headers.get("content-type") ?? "")?.[1];
    if (!boundary) throw new Error("multipart without boundary");
    const sections = body.split(`--${boundary}`).slice(1);
    for (const section of sections) {
      if (section.startsWith("--")) break;
      const entity = splitEntity(section.replace(/^\n/, ""));
      collectParts(entity.headers, entity.body.replace(/\n$/, ""), parts);
    }
    return;
  }
  const encoding = (headers.get("content-transfer-encoding") ?? "7bit").toLowerCase();
  const bytes = encoding === "base64" ? Buffer.from(body, "base64") : encoding === "quoted-printable" ? decodeQuotedPrintable(body) : Buffer.from(body, "utf8");
  parts.push({ contentType: type, body: bytes.toString("utf8") });
}

function decodeQuotedPrintable(text: string): Buffer {
  const joined = text.replace(/=\n/g, "");
  const bytes: number[] = [];
  for (let i = 0; i < joined.length; i++) {
    const char = joined[i] as string;
    if (char === "=" && /^[0-9A-Fa-f]{2}$/.test(joined.slice(i + 1, i + 3))) {
      bytes.push(Number.parseInt(joined.slice(i + 1, i + 3), 16));
      i += 2;
    } else bytes.push(...Buffer.from(char, "utf8"));
  }
  return Buffer.from(bytes);
}

function decodeWords(value: string): string {
  // Whitespace between two encoded words is not part of the text (RFC 2047 section 6.2).
  return value.replace(/\?=\s+=\?/g, "?==?").replace(/=\?([^?]+)\?([QqBb])\?([^?]*)\?=/g, (_whole, _charset: string, encoding: string, data: string) => {
    if (encoding.toUpperCase() === "B") return Buffer.from(data, "base64").toString("utf8");
    return decodeQuotedPrintable(data.replace(/_/g, " ")).toString("utf8");
  });
}
