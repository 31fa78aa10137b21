import { readAttribute, tokenizeHtml } from "./html-tokens.ts";

const PARAGRAPHS = new Set(["p", "blockquote", "pre", "ul", "ol", "dl", "table", "h1", "h2", "h3", "h4", "h5", "h6"]);
const LINES = new Set(["div", "li", "tr", "dt", "dd", "caption"]);

/**
 * Renders a comment written in HTML as plain text for the text part of a mail: whitespace
 * collapsed as a browser would (except in `<pre>`), paragraphs and line breaks kept, list items
 * bulleted or numbered, table cells separated by ` | `, and a link's target written after its
 * text when it differs, so nothing the reader could click in the HTML part is lost.
 */
export function commentHtmlToText(source: string, baseUrl?: string): string {
  let out = "";
  let pre = 0;
  const lists: { ordered: boolean; next: number }[] = [];
  const links: { href: string | undefined; start: number }[] = [];
  let cellsInRow = 0;

  // Both helpers look back from the end only: a regex anchored with `$` would rescan the whole
  // text at every tag and make a comment of many paragraphs quadratic.
  const trimEnd = () => {
    let end = out.length;
    while (end > 0 && (out[end - 1] === " " || out[end - 1] === "\t")) end--;
    if (end < out.length) out = out.slice(0, end);
  };
  const breakLines = (count: number) => {
    if (pre === 0) trimEnd();
    if (out === "") return;
    let existing = 0;
    while (existing < count && out[out.length - 1 - existing] === "\n") existing++;
    if (existing < count) out += "\n".repeat(count - existing);
  };

  for (const token of tokenizeHtml(source)) {
    if (token.kind === "text") {
      if (pre > 0) {
        out += token.text;
        continue;
      }
      let text = token.text.replace(/\s+/g, " ");
      if (out === "" || out.endsWith("\n")) text = text.trimStart();
      out += text;
    } else if (token.kind === "open") {
      const { name } = token;
      if (name === "br") {
        trimEnd();
        out += "\n";
      } else if (name === "hr") {
        breakLines(1);
        out += "----";
        breakLines(1);
      } else if (PARAGRAPHS.has(name)) breakLines(2);
      else if (LINES.has(name)) breakLines(1);
      if (name === "pre") pre++;
      if (name === "ul" || name === "ol") lists.push({ ordered: name === "ol", next: 1 });
      if (name === "li") {
        const list = lists.at(-1);
        out += "  ".repeat(Math.max(0, lists.length - 1)) + (list?.ordered ? `${list.next++}. ` : "* ");
      }
      if (name === "tr") cellsInRow = 0;
      if (name === "td" || name === "th") out += cellsInRow++ > 0 ? " | " : "";
      if (name === "a") links.push({ href: resolveLink(readAttribute(token.attributes, "href"), baseUrl), start: out.length });
    } else {
      const { name } = token;
      if (name === "pre" && pre > 0) pre--;
      if ((name === "ul" || name === "ol") && lists.length > 0) lists.pop();
      if (name === "a") {
        const link = links.pop();
        if (link?.href && out.slice(link.start).trim() !== link.href) out += ` <${link.href}>`;
      }
      if (PARAGRAPHS.has(name)) breakLines(2);
      else if (LINES.has(name)) breakLines(1);
    }
  }
  return out.replace(/[ \t]+$/gm, "").replace(/\n{3,}/g, "\n\n").trim();
}

function resolveLink(href: string | undefined, baseUrl: string | undefined): string | undefined {
  if (href === undefined) return undefined;
  try {
    const url = new URL(href.trim(), baseUrl);
    return url.protocol === "http:" || url.protocol === "https:" || url.protocol === "mailto:" ? url.href : undefined;
  } catch {
    return undefined;
  }
}
