import { BackendWorkersError } from "../../shared/errors.ts";
import type { JiraClient } from "./jira-client.ts";
import type { JiraIssue } from "./jira-types.ts";

/**
 * Where the issue search stands: Server/Data Center pages with `startAt` up to `total`, Jira Cloud's
 * `/rest/api/3/search/jql` with an opaque `nextPageToken` until `isLast` (Tuleap only sends
 * `startAt` there, so its multi-page Cloud imports stop after the first page). `null` = done.
 */
export type SearchCursor = { startAt: number } | { nextPageToken?: string };

/** One page of the issue search and where the next one starts. */
export interface SearchPage {
  issues: JiraIssue[];
  next: SearchCursor | null;
}

/** Fields and expansions of the issue search: everything, and the HTML rendering of rich text. */
const SEARCH_QUERY = { fields: "*all", expand: "renderedFields" } as const;

/** The first cursor of a search on `client`'s flavour of Jira. */
export function firstCursor(client: JiraClient): SearchCursor {
  return client.flavor === "cloud" ? {} : { startAt: 0 };
}

/** Fetches one page of issues matching `jql` at `cursor`. */
export async function fetchSearchPage(client: JiraClient, jql: string, cursor: SearchCursor): Promise<SearchPage> {
  if (!("startAt" in cursor)) {
    const page = await client.get<{ issues?: JiraIssue[]; nextPageToken?: string; isLast?: boolean }>("/rest/api/3/search/jql", { jql, ...SEARCH_QUERY, nextPageToken: cursor.nextPageToken });
    const issues = arrayOf(page?.issues, "issues");
    // isLast is authoritative; a missing token with isLast=false would loop forever, so it ends too.
    const done = page?.isLast === true || !page?.nextPageToken || issues.length === 0;
    return { issues, next: done ? null : { nextPageToken: page.nextPageToken } };
  }
  const page = await client.get<{ issues?: JiraIssue[]; total?: number; startAt?: number }>("/rest/api/2/search", { jql, ...SEARCH_QUERY, startAt: cursor.startAt });
  const issues = arrayOf(page?.issues, "issues");
  const nextStart = cursor.startAt + issues.length;
  const done = issues.length === 0 || typeof page?.total !== "number" || nextStart >= page.total;
  return { issues, next: done ? null : { startAt: nextStart } };
}

/**
 * Reads a `startAt`-paged list (changelog, comments) to its end. These lists belong to one
 * issue, so holding them whole is bounded by that issue, not by the project.
 */
export async function collectStartAtPages<T>(client: JiraClient, path: string, key: string, query: Record<string, string> = {}): Promise<T[]> {
  const all: T[] = [];
  for (let startAt = 0; ; ) {
    const page = await client.get<Record<string, unknown> & { total?: number; isLast?: boolean }>(path, { ...query, startAt });
    const values = arrayOf(page?.[key], key) as T[];
    all.push(...values);
    startAt += values.length;
    if (values.length === 0 || page?.isLast === true || typeof page?.total !== "number" || startAt >= page.total) return all;
  }
}

function arrayOf(value: unknown, what: string): never[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new BackendWorkersError("JIRA_BAD_RESPONSE", `Jira answered a page whose "${what}" is not a list`, { retryable: false });
  return value as never[];
}
