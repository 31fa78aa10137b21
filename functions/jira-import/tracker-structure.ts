import type { JiraFieldMeta } from "./jira-types.ts";

/** Tuleap form element types the importer produces. */
export type FieldKind = "string" | "text" | "float" | "date" | "sb" | "msb" | "rb" | "cb" | "tbl" | "file" | "art_link" | "aid" | "subby" | "subon" | "lud" | "cross";

/** Where a field sits in the tracker form. */
export type Container = "left" | "right" | "custom" | "attachment" | "links";

/** A value of a static list: the Jira id it comes from and the XML reference it becomes. */
export interface ListValue {
  jiraId: string;
  label: string;
  /** Value reference in field changes; the item's XML ID is `V` + ref. */
  ref: string;
}

/** One Tuleap field and the Jira field it is filled from. */
export interface TrackerField {
  /** Jira field id (Cloud changelog `fieldId`, Server changelog `field`), the key of the mapping. */
  jiraId: string;
  /** Tuleap field name: lower-case letters, digits and `_`. */
  name: string;
  label: string;
  kind: FieldKind;
  bind?: "static" | "users";
  values?: ListValue[];
  required: boolean;
  dateTime?: boolean;
  container: Container;
  rank: number;
  /** The form element's XML ID. */
  ref: string;
}

/**
 * Everything the conversion needs besides the issues: the fields and their values, which status
 * values mean "done", and the search that lists the issues. It is saved beside the output, so a
 * resumed import converts its remaining pages with exactly the structure of its first ones.
 */
export interface TrackerStructure {
  version: 1;
  flavor: "cloud" | "server";
  jiraUrl: string;
  projectKey: string;
  issueTypeIds: string[];
  jql: string;
  fields: TrackerField[];
  doneStatusRefs: string[];
}

/** The Jira status of an issue type, from `/project/{key}/statuses`. */
export interface JiraStatus {
  id: string;
  name: string;
  category?: string;
}

// Jira schema (system or custom type) -> Tuleap field, as Tuleap's JiraToTuleapFieldTypeMapper does.
const CUSTOM = "com.atlassian.jira.plugin.system.customfieldtypes:";
const MAPPING: Record<string, { kind: FieldKind; bind?: "static" | "users"; container: Container; rank: number; dateTime?: boolean; name?: string }> = {
  summary: { kind: "string", container: "left", rank: 1, name: "summary" },
  description: { kind: "text", container: "left", rank: 2, name: "description" },
  priority: { kind: "sb", bind: "static", container: "right", rank: 6 },
  assignee: { kind: "sb", bind: "users", container: "right", rank: 9 },
  reporter: { kind: "sb", bind: "users", container: "right", rank: 10 },
  duedate: { kind: "date", container: "custom", rank: 4 },
  fixVersions: { kind: "msb", bind: "static", container: "custom", rank: 1 },
  versions: { kind: "msb", bind: "static", container: "custom", rank: 1 },
  components: { kind: "msb", bind: "static", container: "custom", rank: 1 },
  labels: { kind: "tbl", bind: "static", container: "custom", rank: 1 },
  [`${CUSTOM}textfield`]: { kind: "string", container: "custom", rank: 1 },
  [`${CUSTOM}textarea`]: { kind: "text", container: "custom", rank: 2 },
  [`${CUSTOM}float`]: { kind: "float", container: "custom", rank: 3 },
  [`${CUSTOM}datepicker`]: { kind: "date", container: "custom", rank: 4 },
  [`${CUSTOM}datetime`]: { kind: "date", container: "custom", rank: 4, dateTime: true },
  [`${CUSTOM}radiobuttons`]: { kind: "rb", bind: "static", container: "custom", rank: 5 },
  [`${CUSTOM}select`]: { kind: "sb", bind: "static", container: "custom", rank: 5 },
  [`${CUSTOM}multiselect`]: { kind: "msb", bind: "static", container: "custom", rank: 6 },
  [`${CUSTOM}userpicker`]: { kind: "sb", bind: "users", container: "custom", rank: 11 },
  [`${CUSTOM}multiuserpicker`]: { kind: "msb", bind: "users", container: "custom", rank: 12 },
  [`${CUSTOM}multiversion`]: { kind: "msb", bind: "static", container: "custom", rank: 1 },
  [`${CUSTOM}version`]: { kind: "sb", bind: "static", container: "custom", rank: 1 },
  [`${CUSTOM}multicheckboxes`]: { kind: "cb", bind: "static", container: "custom", rank: 1 },
};

/** Field ids whose Jira history is unreliable, so only their current value is imported (as Tuleap does). */
export const CURRENT_VALUE_ONLY_FIELDS: ReadonlySet<string> = new Set(["versions", "fixVersions", "components"]);

/**
 * Builds the tracker fields from the Jira field metadata (createmeta, then editmeta for fields
 * only editable after creation), the statuses and the priorities: the always-there fields
 * (artifact id, link to the issue, dates, status, attachments, links) plus every Jira field of a
 * supported type. Fields of several issue types are merged, their list values united.
 */
export function buildTrackerFields(metaFields: Map<string, JiraFieldMeta>, statuses: JiraStatus[], options: { withIssueType: boolean }): { fields: TrackerField[]; doneStatusRefs: string[] } {
  let next = 1;
  const ref = () => String(next++);
  const fields: TrackerField[] = [];
  const names = new Set<string>();
  const add = (field: Omit<TrackerField, "ref">) => {
    let name = field.name;
    for (let i = 2; names.has(name); i++) name = `${field.name}_${i}`;
    names.add(name);
    fields.push({ ...field, name, ref: `F${ref()}` });
  };
  const statusValues = statuses.map((status) => ({ jiraId: status.id, label: status.name, ref: ref() }));
  add({ jiraId: "artifact_id", name: "artifact_id", label: "Artifact id", kind: "aid", required: false, container: "right", rank: 7 });
  add({ jiraId: "jira_issue_url", name: "jira_issue_url", label: "Link to original issue", kind: "string", required: false, container: "right", rank: 8 });
  add({ jiraId: "creator", name: "creator", label: "Created by", kind: "subby", required: false, container: "right", rank: 2 });
  add({ jiraId: "created", name: "created", label: "Creation date", kind: "subon", required: false, container: "right", rank: 3 });
  add({ jiraId: "updated", name: "updated", label: "Last update date", kind: "lud", required: false, container: "right", rank: 4 });
  add({ jiraId: "resolutiondate", name: "resolutiondate", label: "Resolved", kind: "date", dateTime: true, required: false, container: "right", rank: 5 });
  add({ jiraId: "status", name: "status", label: "Status", kind: "sb", bind: "static", values: statusValues, required: false, container: "right", rank: 1 });
  add({ jiraId: "attachment", name: "attachment", label: "Attachments", kind: "file", required: false, container: "attachment", rank: 1 });
  add({ jiraId: "issuelinks", name: "issuelinks", label: "Links", kind: "art_link", required: false, container: "links", rank: 1 });
  add({ jiraId: "orgtuleapcrossreferences", name: "orgtuleapcrossreferences", label: "References", kind: "cross", required: false, container: "links", rank: 2 });

  for (const [jiraId, meta] of metaFields) {
    if (meta.name === "Flagged") continue;
    const type = meta.schema?.system ?? meta.schema?.custom;
    if (type === "issuetype" && options.withIssueType) {
      add({ jiraId, name: "issuetype", label: meta.name, kind: "sb", bind: "static", values: listValues(meta, ref), required: Boolean(meta.required), container: "right", rank: 11 });
      continue;
    }
    const mapping = type === undefined ? undefined : MAPPING[type];
    if (!mapping) continue;
    add({
      jiraId,
      name: mapping.name ?? fieldName(jiraId),
      label: meta.name,
      kind: mapping.kind,
      bind: mapping.bind,
      values: mapping.bind === "static" && mapping.kind !== "tbl" ? listValues(meta, ref) : undefined,
      required: Boolean(meta.required),
      dateTime: mapping.dateTime,
      container: mapping.container,
      rank: mapping.rank,
    });
  }
  const doneStatusRefs = statuses.flatMap((status, index) => (status.category === "done" ? [statusValues[index]!.ref] : []));
  return { fields, doneStatusRefs };
}

/** Merges field metadata of several issue types: first definition wins, allowed values are united by id. */
export function mergeFieldMeta(target: Map<string, JiraFieldMeta>, fields: Record<string, JiraFieldMeta>): void {
  for (const [id, meta] of Object.entries(fields)) {
    const known = target.get(id);
    if (!known) {
      target.set(id, { ...meta, allowedValues: [...(meta.allowedValues ?? [])] });
      continue;
    }
    const ids = new Set((known.allowedValues ?? []).map((value) => String(value.id)));
    for (const value of meta.allowedValues ?? []) if (!ids.has(String(value.id))) (known.allowedValues ??= []).push(value);
  }
}

function listValues(meta: JiraFieldMeta, ref: () => string): ListValue[] {
  const seen = new Set<string>();
  const values: ListValue[] = [];
  for (const value of meta.allowedValues ?? []) {
    const jiraId = value.id === undefined ? undefined : String(value.id);
    const label = value.name ?? value.value;
    if (jiraId === undefined || label === undefined || seen.has(jiraId)) continue;
    seen.add(jiraId);
    values.push({ jiraId, label, ref: ref() });
  }
  return values;
}

function fieldName(jiraId: string): string {
  return jiraId.toLowerCase().replace(/[^a-z0-9_]/g, "_") || "field";
}
