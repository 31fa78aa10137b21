import type { TrackerNotification } from "./schema.ts";
import { shortHash } from "./short-hash.ts";

/** The headers that make mail clients show all mails of one artifact as one conversation. */
export interface ThreadHeaders {
  /** Unique per (changeset, recipient) and stable across retries. */
  messageId: string;
  /** The artifact's conversation id, the same for every mail about the artifact. */
  inReplyTo: string;
  references: string[];
}

/**
 * Builds the threading headers of the mail for one recipient. Every mail about an artifact answers
 * the same artifact id (`<tracker-artifact.<id>@<host>>`), so clients group them even though that
 * root message was never sent (Thunderbird shows a placeholder parent, Gmail and Apple Mail thread
 * on References). The Message-ID is deterministic, not random: when a crash between sending and
 * marking makes a retry send a mail again, the copy carries the same id and clients that
 * de-duplicate by Message-ID show it once. The address is hashed so it is not exposed to others.
 */
export function threadHeaders(notification: TrackerNotification, address: string): ThreadHeaders {
  const { artifact, changeset } = notification;
  const host = new URL(artifact.url).hostname;
  const root = `<tracker-artifact.${artifact.id}@${host}>`;
  return {
    messageId: `<tracker-artifact.${artifact.id}.${changeset.id}.${shortHash(address.toLowerCase())}@${host}>`,
    inReplyTo: root,
    references: [root],
  };
}
