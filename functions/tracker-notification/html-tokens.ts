import { decodeHtmlEntities } from "./decode-html-entities.ts";

/** One piece of an HTML fragment: decoded text, or a tag with its lower-cased name. */
export type HtmlToken =
  | { kind: "text"; text: string }
  | { kind: "open"; name: string; attributes: string; selfClosing: boolean }
  | { kind: "close"; name: string };

// Elements whose content is never text for a reader; their whole content is dropped.
const OPAQUE = new Set(["script", "style", "template", "iframe", "object", "embed", "noscript", "textarea", "title", "head", "svg", "math", "select"]);

// A tag (quoted attribute values may hold `>`), a comment, a doctype/CDATA/processing
// instruction. Anything else, including a lone `<`, is text. No part of a tag may contain `<`, so
// a failed match stops at the next `<` and a hostile comment cannot make matching quadratic.
const MARKUP = /<!--[\s\S]*?(?:-->|$)|<(\/?)([A-Za-z][A-Za-z0-9-]*)((?:[^<>"']|"[^<"]*"|'[^<']*')*)>|<![^<]*?(?:>|$)|<\?[^<]*?(?:>|$)/;

/**
 * Splits a user-written HTML fragment (a tracker comment) into tokens. It is not a full HTML5
 * parser and need not be: its consumers build their output only from these tokens, emitting text
 * escaped and tags they chose themselves, so input it misreads can only come out as odd text,
 * never as markup. Comments and declarations are dropped, and so is the content of script-like
 * elements; entities in text are decoded.
 */
export function* tokenizeHtml(source: string): Generator<HtmlToken> {
  const markup = new RegExp(MARKUP.source, "g");
  let position = 0;
  for (let match = markup.exec(source); match !== null; match = markup.exec(source)) {
    if (match.index > position) yield { kind: "text", text: decodeHtmlEntities(source.slice(position, match.index)) };
    position = markup.lastIndex;
    const [, slash, rawName, attributes = ""] = match;
    if (rawName === undefined) continue;
    const name = rawName.toLowerCase();
    if (slash) {
      yield { kind: "close", name };
      continue;
    }
    if (OPAQUE.has(name)) {
      const end = new RegExp(`</${name}\\s*>`, "ig");
      end.lastIndex = position;
      const closing = end.exec(source);
      position = closing ? end.lastIndex : source.length;
      markup.lastIndex = position;
      continue;
    }
    yield { kind: "open", name, attributes, selfClosing: /\/\s*$/.test(attributes) };
  }
  if (position < source.length) yield { kind: "text", text: decodeHtmlEntities(source.slice(position)) };
}

/** Reads one attribute's decoded value from a tag's attribute text, or undefined. */
export function readAttribute(attributes: string, name: string): string | undefined {
  const pattern = new RegExp(`(?:^|\\s)${name}\\s*=\\s*(?:"([^"]*)"|'([^']*)'|([^\\s"'=<>\`]+))`, "i");
  const match = pattern.exec(attributes);
  if (!match) return undefined;
  return decodeHtmlEntities(match[1] ?? match[2] ?? match[3] ?? "");
}
