import { createHash } from "node:crypto";

/**
 * A short, stable, non-reversible id for an address or a URL (80 bits of SHA-256, so collisions
 * among the recipients of one changeset are out of reach). Message-IDs and delivery-marker keys
 * use it so neither exposes an address or a webhook URL with a token in it.
 */
export function shortHash(text: string): string {
  return createHash("sha256").update(text).digest("hex").slice(0, 20);
}
