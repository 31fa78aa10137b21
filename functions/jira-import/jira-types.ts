/**
 * The parts of Jira's REST payloads the importer reads. Jira sends far more; everything is
 * optional because Cloud, Server and Data Center (and their versions) each leave out different bits.
 */

/** A user as Jira Cloud (accountId) or Server (name/key) describes one. */
export interface JiraUserPayload {
  accountId?: string;
  name?: string;
  key?: string;
  emailAddress?: string;
  displayName?: string;
}

/** An issue of the search (`fields=*all&expand=renderedFields`) or of `/issue/{key}`. */
export interface JiraIssue {
  id: string;
  key: string;
  fields: Record<string, unknown> & { created?: string; updated?: string; creator?: JiraUserPayload | null; attachment?: JiraAttachment[] };
  renderedFields?: Record<string, unknown> | null;
  changelog?: { histories?: JiraChangelogEntry[] };
}

/** An attachment's metadata. */
export interface JiraAttachment {
  id: string;
  filename?: string;
  size?: number;
  mimeType?: string;
  created?: string;
  author?: JiraUserPayload;
}

/** One changelog entry: who changed what, when. */
export interface JiraChangelogEntry {
  id?: string;
  created: string;
  author?: JiraUserPayload | null;
  items?: JiraChangelogItem[];
}

/** One field change of a changelog entry. Cloud names the field by `fieldId`, Server by `field`. */
export interface JiraChangelogItem {
  field?: string;
  fieldId?: string;
  fieldtype?: string;
  from?: string | null;
  fromString?: string | null;
  to?: string | null;
  toString?: string | null;
}

/** A comment; Cloud sends `renderedBody` when asked, Server renders in `renderedFields`. */
export interface JiraComment {
  id?: string;
  body?: unknown;
  renderedBody?: string;
  created?: string;
  updated?: string;
  author?: JiraUserPayload;
  updateAuthor?: JiraUserPayload;
}

/** A field of createmeta / editmeta. */
export interface JiraFieldMeta {
  name: string;
  required?: boolean;
  schema?: { type?: string; system?: string; custom?: string; items?: string };
  allowedValues?: { id?: string | number; name?: string; value?: string }[];
}
