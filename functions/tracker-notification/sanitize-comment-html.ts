import { escapeHtml, SafeHtml } from "./html-template.ts";
import { readAttribute, tokenizeHtml } from "./html-tokens.ts";

// What a rich-text comment legitimately uses. No attribute survives but a checked link target:
// style, class, on* handlers and images (tracking pixels, data: URLs) all go.
const ALLOWED = new Set([
  "a", "b", "strong", "i", "em", "u", "s", "strike", "del", "ins", "sub", "sup", "mark", "small",
  "p", "div", "span", "br", "hr", "blockquote", "pre", "code", "kbd", "samp",
  "ul", "ol", "li", "dl", "dt", "dd", "h1", "h2", "h3", "h4", "h5", "h6",
  "table", "thead", "tbody", "tfoot", "tr", "th", "td", "caption",
]);
const VOID = new Set(["br", "hr"]);
const LINK_PROTOCOLS = new Set(["http:", "https:", "mailto:"]);

/**
 * Turns a comment written in HTML into HTML that is safe to put in a mail: only allow-listed
 * elements, no attributes except an `href` with an http, https or mailto URL, every text escaped,
 * every element closed in order. Relative links are resolved against `baseUrl` (the artifact's
 * page), since a mail has no base of its own. The output is rebuilt from tokens, never copied from
 * the input, so `<script>`, event handlers and `javascript:` links cannot survive.
 */
export function sanitizeCommentHtml(source: string, baseUrl?: string): SafeHtml {
  const out: string[] = [];
  const open: string[] = [];
  for (const token of tokenizeHtml(source)) {
    if (token.kind === "text") {
      out.push(escapeHtml(token.text));
    } else if (token.kind === "open") {
      if (!ALLOWED.has(token.name)) continue;
      if (VOID.has(token.name)) {
        out.push(`<${token.name}>`);
        continue;
      }
      const href = token.name === "a" ? safeLink(readAttribute(token.attributes, "href"), baseUrl) : undefined;
      out.push(href === undefined ? `<${token.name}>` : `<a href="${escapeHtml(href)}">`);
      if (token.selfClosing) out.push(`</${token.name}>`);
      else open.push(token.name);
    } else {
      // A closing tag closes everything opened after its element (as browsers recover); a stray
      // one is dropped, so the comment can never close the mail's own elements.
      const index = open.lastIndexOf(token.name);
      if (index < 0) continue;
      for (const name of open.splice(index).reverse()) out.push(`</${name}>`);
    }
  }
  for (const name of open.reverse()) out.push(`</${name}>`);
  return new SafeHtml(out.join(""));
}

function safeLink(href: string | undefined, baseUrl: string | undefined): string | undefined {
  if (href === undefined) return undefined;
  try {
    const url = new URL(href.trim(), baseUrl);
    return LINK_PROTOCOLS.has(url.protocol) ? url.href : undefined;
  } catch {
    return undefined;
  }
}
