import { dateValue, jiraTime, type ArtifactFile, type ArtifactRecord, type Changeset, type ChangesetComment, type FieldChange, type FieldValue } from "./field-value.ts";
import type { JiraChangelogEntry, JiraChangelogItem, JiraIssue, JiraUserPayload } from "./jira-types.ts";
import { CURRENT_VALUE_ONLY_FIELDS, type TrackerField, type TrackerStructure } from "./tracker-structure.ts";
import type { UserResolver } from "./user-resolver.ts";

/** A comment reduced to what a changeset needs. */
export interface IssueComment {
  author: JiraUserPayload | undefined;
  /** Last edit time: Tuleap dates a comment by it. */
  updated: string;
  body: string;
  format: "html" | "text";
}

/** What one issue brings: itself (search result), its whole changelog and its comments. */
export interface IssueHistory {
  issue: JiraIssue;
  changelog: JiraChangelogEntry[];
  comments: IssueComment[];
}

// Field kinds whose value is not exported (Tuleap computes them on import).
const COMPUTED = new Set(["aid", "subby", "subon", "lud", "cross"]);

/**
 * Replays an issue's history as Tuleap changesets, the way Tuleap's importer does so the result
 * matches it: the current values give the last state; the initial changeset (at creation) takes,
 * for each field, the `from` of its first changelog item, or its current value if it never
 * changed; then one changeset per changelog entry touching a mapped field, and the comments.
 * Everything is keyed by the second it happened: entries and comments of the same second share a
 * changeset. Unlike Tuleap, same-second entries are merged instead of the later one erasing the
 * earlier, so no value is lost.
 */
export class ChangesetBuilder {
  readonly #fields: Map<string, TrackerField>;
  readonly #structure: TrackerStructure;
  readonly #users: UserResolver;

  constructor(structure: TrackerStructure, users: UserResolver) {
    this.#structure = structure;
    this.#users = users;
    this.#fields = new Map(structure.fields.map((field) => [field.jiraId, field]));
  }

  /** Converts one issue. */
  async build({ issue, changelog, comments }: IssueHistory): Promise<ArtifactRecord> {
    this.#users.rememberAll(Object.values(issue.fields));
    for (const entry of changelog) this.#users.remember(entry.author);
    const current = await this.#current(issue);
    const files = (issue.fields.attachment ?? []).map((a): ArtifactFile => ({ id: String(a.id), filename: a.filename ?? `attachment-${a.id}`, size: Number(a.size) || 0, mimeType: a.mimeType ?? "application/octet-stream" }));
    const attachmentIds = new Set(files.map((file) => file.id));
    const bySecond = new Map<number, Changeset>();
    const at = (when: string, by: string): Changeset | undefined => {
      const time = jiraTime(when);
      if (!time) return undefined;
      let changeset = bySecond.get(time.second);
      if (!changeset) bySecond.set(time.second, (changeset = { by, on: time.iso, second: time.second, comments: [], changes: new Map() }));
      return changeset;
    };

    const initial = at(issue.fields.created ?? issue.fields.updated ?? "1970-01-01T00:00:00Z", this.#users.fromPayload(issue.fields.creator))!;
    for (const change of await this.#initial(issue, current, changelog, attachmentIds)) initial.changes.set(change.field.name, change);

    for (const entry of changelog) {
      const changes = await this.#entryChanges(entry, current, attachmentIds);
      if (changes.length === 0) continue;
      const by = this.#users.fromPayload(entry.author);
      const changeset = at(entry.created, by);
      if (!changeset) continue;
      changeset.by = by;
      for (const change of changes) changeset.changes.set(change.field.name, change);
    }
    for (const comment of comments) {
      const by = this.#users.fromPayload(comment.author);
      const changeset = at(comment.updated, by);
      const time = jiraTime(comment.updated);
      if (!changeset || !time) continue;
      const entry: ChangesetComment = { by, on: time.iso, body: comment.body, format: comment.format };
      changeset.comments.push(entry);
    }
    const changesets = [...bySecond.values()].sort((a, b) => a.second - b.second);
    const referenced = new Set(changesets.flatMap((c) => [...c.changes.values()].flatMap((ch) => (ch.value.kind === "files" ? ch.value.ids : []))));
    return { id: String(issue.id), key: issue.key, changesets, files: files.filter((file) => referenced.has(file.id)) };
  }

  /** The current value of every mapped field that has one, keyed by Jira field id. */
  async #current(issue: JiraIssue): Promise<Map<string, FieldChange & { raw: unknown }>> {
    const current = new Map<string, FieldChange & { raw: unknown }>();
    for (const [jiraId, raw] of Object.entries(issue.fields)) {
      const field = this.#fields.get(jiraId);
      if (!field || raw === null || raw === undefined || COMPUTED.has(field.kind)) continue;
      const value = field.kind === "art_link" ? this.#links(issue) : await this.#fromCurrent(field, raw, issue.renderedFields?.[jiraId]);
      if (value) current.set(jiraId, { field, value, raw });
    }
    return current;
  }

  async #initial(issue: JiraIssue, current: Map<string, FieldChange & { raw: unknown }>, changelog: JiraChangelogEntry[], attachmentIds: Set<string>): Promise<FieldChange[]> {
    const changes: FieldChange[] = [];
    const parsed = new Set<string>(["attachment"]);
    const fileField = this.#fields.get("attachment");
    if (fileField) {
      const addedLater = new Set(changelog.flatMap((e) => (e.items ?? []).filter((i) => itemField(i, this.#structure.flavor) === "attachment" && i.to != null).map((i) => String(i.to))));
      const ids = [...attachmentIds].filter((id) => !addedLater.has(id));
      if (ids.length) changes.push({ field: fileField, value: { kind: "files", ids } });
    }
    for (const entry of changelog) {
      for (const item of entry.items ?? []) {
        const jiraId = itemField(item, this.#structure.flavor);
        if (!jiraId || CURRENT_VALUE_ONLY_FIELDS.has(jiraId) || parsed.has(jiraId) || !current.has(jiraId)) continue;
        parsed.add(jiraId);
        const field = current.get(jiraId)!.field;
        if (item.from == null && item.fromString == null) continue;
        const value = isList(field) && item.from != null ? await this.#fromIds(field, item.from) : field.kind === "date" && item.from != null ? dateOf(item.from) : item.fromString != null ? this.#fromText(field, item.fromString, undefined) : undefined;
        if (value) changes.push({ field, value });
      }
    }
    for (const [jiraId, change] of current) if (!parsed.has(jiraId)) changes.push(change);
    const link = this.#fields.get("jira_issue_url");
    if (link) changes.push({ field: link, value: { kind: "string", value: `${this.#structure.jiraUrl}/browse/${encodeURIComponent(issue.key)}` } });
    return changes;
  }

  async #entryChanges(entry: JiraChangelogEntry, current: Map<string, FieldChange & { raw: unknown }>, attachmentIds: Set<string>): Promise<FieldChange[]> {
    const changes: FieldChange[] = [];
    for (const item of entry.items ?? []) {
      const jiraId = itemField(item, this.#structure.flavor);
      const field = jiraId === undefined ? undefined : this.#fields.get(jiraId);
      if (!field || !jiraId || CURRENT_VALUE_ONLY_FIELDS.has(jiraId) || COMPUTED.has(field.kind) || field.kind === "art_link") continue;
      let value: FieldValue | undefined;
      if (field.kind === "file") {
        if (item.to != null && attachmentIds.has(String(item.to))) value = { kind: "files", ids: [String(item.to)] };
      } else if (field.kind === "date" && item.to != null) value = dateOf(item.to);
      else if (isList(field) && item.to != null) value = await this.#fromIds(field, item.to);
      else if (item.toString != null) {
        const now = current.get(jiraId);
        const rendered = field.kind === "text" && now && now.raw === item.toString && now.value.kind === "text" && now.value.format === "html" ? now.value.value : undefined;
        value = this.#fromText(field, item.toString, rendered);
      }
      if (value) changes.push({ field, value });
    }
    return changes;
  }

  async #fromCurrent(field: TrackerField, raw: unknown, rendered: unknown): Promise<FieldValue | undefined> {
    const items = Array.isArray(raw) ? raw : [raw];
    switch (field.kind) {
      case "string":
      case "float":
        return typeof raw === "object" ? undefined : { kind: field.kind, value: String(raw) };
      case "text":
        if (typeof rendered === "string") return { kind: "text", value: rendered, format: "html" };
        return typeof raw === "string" ? { kind: "text", value: raw, format: "text" } : undefined;
      case "date":
        return typeof raw === "string" ? dateOf(raw) : undefined;
      case "tbl":
        return { kind: "open", labels: items.map(String) };
      case "file":
        return undefined;
      default:
        if (field.bind === "users") {
          const names = items.map((user) => this.#users.fromPayload(user as JiraUserPayload));
          return { kind: "users", names: field.kind === "sb" ? names.slice(0, 1) : names.filter((name) => name !== this.#users.fallback) };
        }
        return { kind: "list", refs: this.#refs(field, items.map((item) => String((item as { id?: unknown })?.id ?? item))) };
    }
  }

  async #fromIds(field: TrackerField, ids: string): Promise<FieldValue> {
    const list = ids.startsWith("[") ? ids.slice(1, -1).split(",") : field.bind === "users" && field.kind === "msb" ? ids.split(",") : [ids];
    const trimmed = list.map((id) => id.trim()).filter((id) => id !== "");
    if (field.bind !== "users") return { kind: "list", refs: this.#refs(field, trimmed) };
    const names = await Promise.all(trimmed.map((id) => this.#users.fromIdentifier(id)));
    return { kind: "users", names: field.kind === "sb" ? names.slice(0, 1) : names.filter((name) => name !== this.#users.fallback) };
  }

  #fromText(field: TrackerField, text: string, rendered: string | undefined): FieldValue | undefined {
    if (field.kind === "text") return rendered === undefined ? { kind: "text", value: text, format: "text" } : { kind: "text", value: rendered, format: "html" };
    if (field.kind === "tbl") return { kind: "open", labels: text.split(/\s+/).filter(Boolean) };
    if (field.kind === "string" || field.kind === "float") return { kind: field.kind, value: text };
    return undefined;
  }

  #refs(field: TrackerField, jiraIds: string[]): string[] {
    const byId = new Map((field.values ?? []).map((value) => [value.jiraId, value.ref]));
    return jiraIds.flatMap((id) => (byId.has(id) ? [byId.get(id)!] : []));
  }

  #links(issue: JiraIssue): FieldValue | undefined {
    const prefix = `${this.#structure.projectKey}-`;
    const linked = [...((issue.fields.issuelinks as { inwardIssue?: { id?: string; key?: string }; outwardIssue?: { id?: string; key?: string } }[] | undefined) ?? []).map((link) => link.outwardIssue ?? link.inwardIssue), ...((issue.fields.subtasks as { id?: string; key?: string }[] | undefined) ?? [])];
    const ids = [...new Set(linked.filter((other) => other?.id && other.key?.startsWith(prefix)).map((other) => String(other!.id)))];
    return { kind: "links", ids };
  }
}

/**
 * The Jira field an item changes. Cloud names it by `fieldId` (its `field` is a display name,
 * which for custom fields matches nothing); an item without one is skipped, as Tuleap does.
 * Server/Data Center only has `field`.
 */
function itemField(item: JiraChangelogItem, flavor: "cloud" | "server"): string | undefined {
  return flavor === "cloud" ? item.fieldId : (item.field ?? item.fieldId);
}

function isList(field: TrackerField): boolean {
  return field.kind === "sb" || field.kind === "msb" || field.kind === "rb" || field.kind === "cb";
}

function dateOf(text: string): FieldValue | undefined {
  const value = dateValue(text);
  return value === undefined ? undefined : { kind: "date", value };
}
