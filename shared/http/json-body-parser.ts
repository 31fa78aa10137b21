import type { FastifyInstance } from "fastify";
import { BackendWorkersError } from "../errors.ts";

/** Deepest nesting of arrays and objects a request body may have. Job payloads carry ids, not trees. */
export const MAX_JSON_DEPTH = 64;

/**
 * How deeply `text` nests arrays and objects, stopping early once past `limit`. It is one linear
 * scan that skips string contents, run before `JSON.parse`, because the parse itself copes with
 * deep input but everything recursive after it (schema validation, `JSON.stringify`) would throw
 * a RangeError deep inside the publisher.
 */
export function jsonNestingDepth(text: string, limit = Number.POSITIVE_INFINITY): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const char = text.charCodeAt(i);
    if (inString) {
      if (char === 0x5c) i++; // backslash: skip the escaped character
      else if (char === 0x22) inString = false;
    } else if (char === 0x22) inString = true;
    else if (char === 0x7b || char === 0x5b) {
      depth++;
      if (depth > deepest) deepest = depth;
      if (deepest > limit) return deepest;
    } else if (char === 0x7d || char === 0x5d) depth--;
  }
  return deepest;
}

/** The 400 of a body nested too deeply. */
export class BodyTooDeepError extends BackendWorkersError {
  readonly statusCode = 400;
  constructor(limit: number) {
    super("BODY_TOO_DEEP", `request body nests arrays/objects deeper than ${limit} levels`, { retryable: false });
    this.name = "BodyTooDeepError";
  }
}

/**
 * Replaces Fastify's JSON parser with one that first refuses bodies nested deeper than
 * {@link MAX_JSON_DEPTH}, then parses with Fastify's own (prototype-poisoning safe) parser. The
 * `text/plain` parser goes too: job payloads are JSON, so any other media type is a 415.
 */
export function useJsonBodyParser(app: FastifyInstance): void {
  const parse = app.getDefaultJsonParser("error", "error");
  app.removeAllContentTypeParsers();
  app.addContentTypeParser("application/json", { parseAs: "string" }, (request, body, done) => {
    if (jsonNestingDepth(body as string, MAX_JSON_DEPTH) > MAX_JSON_DEPTH) {
      done(new BodyTooDeepError(MAX_JSON_DEPTH), undefined);
      return;
    }
    parse(request, body as string, done);
  });
}
