import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { z } from "zod";
import { decodeKey, type Config } from "../../shared/config.ts";
import { BackendWorkersError } from "../../shared/errors.ts";
import type { KeyValueStore } from "../../shared/ports/key-value-store.ts";

/** Jira credentials: Cloud needs the account email and an API token, Server/DC a personal access token. */
export const credentialsSchema = z.object({
  email: z.email().optional(),
  token: z.string().min(1).max(4096),
});

export type JiraCredentials = z.output<typeof credentialsSchema>;

/** How long encrypted credentials wait for their job: a day covers the backlog plus every retry. */
export const CREDENTIALS_TTL_MS = 24 * 3600_000;

const FORMAT = "v1";

/**
 * Keeps Jira credentials out of the stream: they are sealed with AES-256-GCM under `SECRETS_KEY`
 * (a fresh IV per secret, the job id as additional data so a ciphertext copied onto another job
 * does not open) and stored under a short-lived key; the job carries only that key.
 */
export const credentialVault = {
  /** Encrypts and stores `credentials` for `jobId`; resolves with the reference to put in the payload. */
  async store(kv: KeyValueStore, config: Config, jobId: string, credentials: JiraCredentials): Promise<string> {
    const key = secretsKey(config);
    const iv = randomBytes(12);
    const cipher = createCipheriv("aes-256-gcm", key, iv);
    cipher.setAAD(Buffer.from(jobId));
    const sealed = Buffer.concat([cipher.update(JSON.stringify(credentials), "utf8"), cipher.final()]);
    const value = [FORMAT, iv.toString("base64"), cipher.getAuthTag().toString("base64"), sealed.toString("base64")].join(".");
    const ref = `secret:${jobId}`;
    await kv.set(ref, value, { ttlMs: CREDENTIALS_TTL_MS });
    return ref;
  },

  /** Reads and decrypts the credentials behind `ref`; a missing or undecryptable secret is final. */
  async load(kv: KeyValueStore, config: Config, jobId: string, ref: string): Promise<JiraCredentials> {
    const value = await kv.get(ref);
    if (value === null) {
      throw new BackendWorkersError("CREDENTIALS_EXPIRED", "the Jira credentials of this import expired or were already used; publish the import again", { retryable: false });
    }
    const [format, iv, tag, sealed] = value.split(".");
    if (format !== FORMAT || !iv || !tag || sealed === undefined) {
      throw new BackendWorkersError("CREDENTIALS_UNREADABLE", "the stored Jira credentials are in an unknown format", { retryable: false });
    }
    try {
      const decipher = createDecipheriv("aes-256-gcm", secretsKey(config), Buffer.from(iv, "base64"));
      decipher.setAAD(Buffer.from(jobId));
      decipher.setAuthTag(Buffer.from(tag, "base64"));
      const plain = Buffer.concat([decipher.update(Buffer.from(sealed, "base64")), decipher.final()]).toString("utf8");
      return credentialsSchema.parse(JSON.parse(plain));
    } catch (error) {
      // Never pass the cause on: it could quote the plaintext.
      if ((error as { code?: string }).code === "SECRETS_KEY_MISSING") throw error;
      throw new BackendWorkersError("CREDENTIALS_UNREADABLE", "the stored Jira credentials cannot be decrypted (was SECRETS_KEY changed since the import was published?)", { retryable: false });
    }
  },

  /** Deletes the credentials once the import has a final outcome. */
  async discard(kv: KeyValueStore, ref: string): Promise<void> {
    await kv.del(ref);
  },
};

function secretsKey(config: Config): Buffer {
  const key = config.secretsKey === undefined ? undefined : decodeKey(config.secretsKey);
  if (key === undefined) {
    throw new BackendWorkersError(
      "SECRETS_KEY_MISSING",
      "no key to encrypt the Jira credentials with: set SECRETS_KEY (32 bytes as 64 hex digits or base64, e.g. `openssl rand -hex 32`) or run `backend-workers start` once to generate one under var/",
      { retryable: false },
    );
  }
  return key;
}
