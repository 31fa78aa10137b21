/**
 * Text helpers for hand-written XML. The tracker XML is written as text, page by page, so no DOM
 * of the whole document ever sits in memory; these helpers make that text safe.
 */

// XML 1.0 forbids most C0 control characters even when escaped; Jira text sometimes holds them
// (pasted terminal output), and one of them would make the whole file unreadable for xmllint.
// eslint-disable-next-line no-control-regex
const INVALID_XML_CHARS = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g;

/** Escapes text for an attribute or element body, dropping characters XML 1.0 cannot hold. */
export const xml = {
  /** Escapes `&`, `<`, `>` and quotes. */
  escape(text: string): string {
    return text.replace(INVALID_XML_CHARS, "").replace(/[&<>"']/g, (c) => ENTITIES[c] as string);
  },
  /** Wraps text in CDATA, splitting any `]]>` inside it so the section cannot end early. */
  cdata(text: string): string {
    return `<![CDATA[${text.replace(INVALID_XML_CHARS, "").replaceAll("]]>", "]]]]><![CDATA[>")}]]>`;
  },
};

const ENTITIES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;" };
