import { z } from "zod";

const httpUrl = z.url({ protocol: /^https?$/, error: "must be an http:// or https:// URL" }).max(2048);
const id = z.number().int().positive();

/** A field value as the tracker shows it: one text, or the labels of a multi-value field. */
const fieldValue = z.union([z.string().max(65_536), z.array(z.string().max(1024)).max(1000)]).nullable();

/** One changed field: its label and the values before and after, as displayed (not raw ids). */
const fieldChange = z.object({
  label: z.string().min(1).max(255),
  old: fieldValue.default(null),
  new: fieldValue.default(null),
});

/**
 * A recipient. The address is only checked for presence here: one malformed address among a
 * thousand must be reported and skipped, not fail the payload and silence everyone else.
 */
const recipient = z.object({
  address: z.string().trim().min(1).max(320),
  name: z.string().trim().max(255).optional(),
  /** The user's mail preference: `text` gets a plain-text mail, `html` text and HTML parts. */
  format: z.enum(["text", "html"]).default("html"),
});

/** A webhook of the tracker: called with a signed JSON POST after each changeset. */
const webhook = z.object({
  url: httpUrl,
  /** HMAC-SHA256 key of the signature header; never logged. */
  secret: z.string().min(1).max(4096),
  timeoutMs: z.number().int().min(100).max(30_000).default(10_000),
});

/**
 * The payload of a `tracker-notification` job: everything needed to tell the followers of an
 * artifact about one changeset, since this service has no tracker database to look it up in.
 * Ids make the delivery markers: a retry of the same changeset never sends twice.
 */
export const schema = z.object({
  artifact: z.object({
    id,
    title: z.string().max(1000),
    url: httpUrl,
    tracker: z.object({ id, name: z.string().trim().min(1).max(255) }),
    project: z.object({ id, name: z.string().trim().min(1).max(255) }),
  }),
  changeset: z.object({
    id,
    action: z.enum(["create", "update"]).default("update"),
    author: z.object({ name: z.string().trim().min(1).max(255), email: z.string().max(320).optional() }),
    submittedAt: z.iso.datetime({ offset: true }),
    fieldChanges: z.array(fieldChange).max(500).default([]),
    comment: z.object({ body: z.string().max(200_000), format: z.enum(["text", "html"]).default("text") }).optional(),
  }),
  recipients: z.array(recipient).max(10_000).default([]),
  webhooks: z.array(webhook).max(50).default([]),
});

/** A validated `tracker-notification` payload (defaults applied). */
export type TrackerNotification = z.output<typeof schema>;

/** One recipient of a {@link TrackerNotification}. */
export type Recipient = TrackerNotification["recipients"][number];

/** One webhook of a {@link TrackerNotification}. */
export type Webhook = TrackerNotification["webhooks"][number];

/** One field change of a {@link TrackerNotification}. */
export type FieldChange = TrackerNotification["changeset"]["fieldChanges"][number];
