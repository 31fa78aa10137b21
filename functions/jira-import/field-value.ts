import type { TrackerField } from "./tracker-structure.ts";

/** A field's value in one changeset, in the shape its XML needs. */
export type FieldValue =
  | { kind: "string"; value: string }
  | { kind: "text"; value: string; format: "html" | "text" }
  | { kind: "float"; value: string }
  | { kind: "date"; value: string }
  | { kind: "list"; refs: string[] }
  | { kind: "users"; names: string[] }
  | { kind: "open"; labels: string[] }
  | { kind: "files"; ids: string[] }
  | { kind: "links"; ids: string[] };

/** One field change of a changeset. */
export interface FieldChange {
  field: TrackerField;
  value: FieldValue;
}

/** A comment of a changeset. */
export interface ChangesetComment {
  by: string;
  on: string;
  body: string;
  format: "html" | "text";
}

/** One changeset of an artifact: who, when (ISO 8601, second precision), comments and field changes. */
export interface Changeset {
  by: string;
  on: string;
  /** Seconds since the epoch: changesets are keyed and ordered by it. */
  second: number;
  comments: ChangesetComment[];
  changes: Map<string, FieldChange>;
}

/** An attachment's metadata as the artifact's `<file>` element lists it. */
export interface ArtifactFile {
  id: string;
  filename: string;
  size: number;
  mimeType: string;
}

/** An issue converted: its Jira id (the artifact id), key, changesets in time order and files. */
export interface ArtifactRecord {
  id: string;
  key: string;
  changesets: Changeset[];
  files: ArtifactFile[];
}

/**
 * Jira timestamps ("2020-03-19T16:26:45.195+0100") as ISO 8601 at second precision, keeping
 * the instance's offset ("2020-03-19T16:26:45+01:00"), and their epoch second.
 */
export function jiraTime(text: string): { iso: string; second: number } | undefined {
  const match = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}:\d{2})(?:\.\d+)?(Z|[+-]\d{2}:?\d{2})?$/.exec(text.trim());
  if (!match) {
    const ms = Date.parse(text);
    return Number.isNaN(ms) ? undefined : { iso: new Date(ms).toISOString().replace(/\.\d{3}Z$/, "+00:00"), second: Math.floor(ms / 1000) };
  }
  const offset = match[3] === undefined || match[3] === "Z" ? "+00:00" : match[3].includes(":") ? match[3] : `${match[3].slice(0, 3)}:${match[3].slice(3)}`;
  const iso = `${match[1]}T${match[2]}${offset}`;
  return { iso, second: Math.floor(Date.parse(iso) / 1000) };
}

/** A date field's value: date-only stays as is, anything else becomes ISO 8601. */
export function dateValue(text: string): string | undefined {
  if (/^\d{4}-\d{2}-\d{2}$/.test(text.trim())) return text.trim();
  return jiraTime(text)?.iso;
}
