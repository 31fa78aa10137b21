import type { IssueComment, IssueHistory } from "./changeset-builder.ts";
import type { JiraClient } from "./jira-client.ts";
import { collectStartAtPages } from "./jira-pages.ts";
import type { JiraChangelogEntry, JiraComment, JiraIssue } from "./jira-types.ts";

/**
 * Fetches what the search does not return in full: an issue's changelog and comments. Cloud
 * pages both with `startAt` (`/issue/{key}/changelog`, `/issue/{key}/comment?expand=renderedBody`);
 * Server/Data Center returns them on the issue itself (`?expand=changelog`, `?expand=renderedFields`).
 */
export async function loadIssueHistory(client: JiraClient, issue: JiraIssue): Promise<IssueHistory> {
  const key = encodeURIComponent(issue.key);
  if (client.flavor === "cloud") {
    const changelog = await collectStartAtPages<JiraChangelogEntry>(client, `/rest/api/2/issue/${key}/changelog`, "values");
    const raw = await collectStartAtPages<JiraComment>(client, `/rest/api/2/issue/${key}/comment`, "comments", { expand: "renderedBody" });
    return { issue, changelog, comments: raw.flatMap((comment) => toComment(comment, comment.renderedBody)) };
  }
  const withChangelog = await client.get<JiraIssue>(`/rest/api/2/issue/${key}`, { expand: "changelog" });
  const rendered = await client.get<JiraIssue>(`/rest/api/2/issue/${key}`, { expand: "renderedFields" });
  const comments = ((rendered?.fields?.comment as { comments?: JiraComment[] } | undefined)?.comments ?? []);
  const renderedBodies = new Map(((rendered?.renderedFields?.comment as { comments?: JiraComment[] } | undefined)?.comments ?? []).map((c) => [c.id, c.body]));
  return {
    issue,
    changelog: withChangelog?.changelog?.histories ?? [],
    comments: comments.flatMap((comment) => toComment(comment, renderedBodies.get(comment.id))),
  };
}

function toComment(comment: JiraComment, rendered: unknown): IssueComment[] {
  const updated = comment.updated ?? comment.created;
  if (!updated) return [];
  if (typeof rendered === "string") return [{ author: comment.updateAuthor ?? comment.author, updated, body: rendered, format: "html" }];
  // API v3 bodies are Atlassian Document Format objects; without a rendering only plain text survives.
  const body = typeof comment.body === "string" ? comment.body : "";
  return [{ author: comment.updateAuthor ?? comment.author, updated, body, format: "text" }];
}
