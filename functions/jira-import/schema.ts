import { z } from "zod";
import type { PublishHook } from "../../shared/functions/function-module.ts";
import { credentialsSchema, credentialVault } from "./credential-vault.ts";

/** Tracker colours Tuleap accepts (tracker.rng). */
const TRACKER_COLORS = [
  "inca-silver", "chrome-silver", "firemist-silver", "red-wine", "fiesta-red", "coral-pink", "teddy-brown", "clockwork-orange",
  "graffiti-yellow", "army-green", "neon-green", "acid-green", "sherwood-green", "ocean-turquoise", "surf-green", "deep-blue",
  "lake-placid-blue", "daphne-blue", "plum-crazy", "ultra-violet", "lilac-purple", "panther-pink", "peggy-pink", "flamingo-pink",
] as const;

const jiraUrl = z
  .url({ protocol: /^https?$/ })
  // Credentials travel only through the vault; a URL with user:password@ would put them in the stream.
  .refine((url) => { const parsed = new URL(url); return parsed.username === "" && parsed.password === ""; }, "must not contain a user name or password; pass them in credentials")
  .refine((url) => { const parsed = new URL(url); return parsed.search === "" && parsed.hash === ""; }, "must be the base URL of the Jira instance, without query or fragment")
  .transform((url) => url.replace(/\/+$/, ""));

/** What every import names, with or without its credentials. */
const importFields = {
  /** Base URL of the Jira instance, e.g. https://example.atlassian.net or https://jira.example.com/jira. */
  jiraUrl,
  projectKey: z.string().regex(/^[A-Za-z][A-Za-z0-9_]{0,254}$/, "a Jira project key such as ABC or ABC_2"),
  /** Jira issue type ids to import into one tracker, or "all" for every type of the project (one tracker for all). */
  issueTypes: z.union([z.literal("all"), z.array(z.string().regex(/^\d+$/, "a numeric Jira issue type id")).min(1).max(200)]).default("all"),
  /** Who asked for the import: gets the outcome by email. */
  requester: z.object({ email: z.email(), name: z.string().max(200).optional() }).strict(),
  tracker: z
    .object({
      name: z.string().min(1).max(255),
      shortName: z.string().regex(/^[a-zA-Z0-9_]+$/, "letters, digits and _ only").max(64),
      description: z.string().max(2000).default(""),
      color: z.enum(TRACKER_COLORS).default("inca-silver"),
    })
    .strict(),
  /** Jira e-mail address -> Tuleap user name. Jira users not listed become `fallbackUser`. */
  users: z.record(z.string().min(3).max(320), z.string().min(1).max(255)).default({}),
  /** The Tuleap user that stands for Jira users without a match (Tuleap's tracker importer user). */
  fallbackUser: z.string().min(1).max(255).default("forge__tracker_importer_user"),
};

/**
 * The import request, as a caller publishes it (library, `backend-workers publish`, `POST /jobs`).
 * It holds the Jira credentials; the publish hook below swaps them for a reference before
 * anything is written to Redis, so this shape never reaches the stream.
 */
export const schema = z.object({ ...importFields, credentials: credentialsSchema }).strict();

/**
 * The payload as stored in the stream and validated by the handler: the request with its
 * credentials replaced by a reference to their encrypted copy. Being strict, it rejects a payload
 * that still carries credentials, so a job published around the hook fails instead of running.
 */
export const storedSchema = z.object({ ...importFields, credentialsRef: z.string().regex(/^secret:[A-Za-z0-9-]+$/) }).strict();

export type ImportRequest = z.output<typeof schema>;
export type StoredImport = z.output<typeof storedSchema>;

/**
 * The publish hook: encrypts the credentials under `SECRETS_KEY`, stores them for a day under a
 * key of this job, and returns the payload to store, which carries only the key.
 */
export const beforePublish: PublishHook = async (payload, ctx) => {
  const { credentials, ...rest } = schema.parse(payload);
  const credentialsRef = await credentialVault.store(ctx.kv, ctx.config, ctx.jobId, credentials);
  return storedSchema.parse({ ...rest, credentialsRef });
};
