import { createHash, timingSafeEqual } from "node:crypto";

/**
 * Compares a secret in constant time. Both sides are hashed first, so neither the content nor the
 * length of the expected secret leaks through the comparison time (`timingSafeEqual` alone
 * throws on different lengths, and an early length check would tell the length).
 */
export function secretsEqual(given: string, expected: string): boolean {
  const digest = (text: string) => createHash("sha256").update(text, "utf8").digest();
  return timingSafeEqual(digest(given), digest(expected));
}

/** True when `authorization` is `Bearer <token>` with the expected token. */
export function bearerMatches(authorization: string | undefined, token: string): boolean {
  const match = /^Bearer[ ]+(\S+)\s*$/i.exec(authorization ?? "");
  // Compare even when the header is malformed, so a malformed header costs the same time.
  return secretsEqual(match?.[1] ?? "", token) && match !== null;
}

/** True when `authorization` is HTTP Basic with the expected user and password. */
export function basicMatches(authorization: string | undefined, user: string, password: string): boolean {
  const match = /^Basic[ ]+([A-Za-z0-9+/=]+)\s*$/i.exec(authorization ?? "");
  const decoded = match ? Buffer.from(match[1] as string, "base64").toString("utf8") : "";
  const colon = decoded.indexOf(":");
  const givenUser = colon >= 0 ? decoded.slice(0, colon) : "";
  const givenPassword = colon >= 0 ? decoded.slice(colon + 1) : "";
  // Both comparisons always run (no short-circuit), so a wrong user costs the same as a wrong password.
  const userOk = secretsEqual(givenUser, user);
  const passwordOk = secretsEqual(givenPassword, password);
  return userOk && passwordOk && colon >= 0;
}
