import { json, type ReplayRequest, type ReplayResponse } from "../../functions/jira-import/replay-server.ts";

/** Options of {@link syntheticCloudProject}. */
export interface SyntheticProjectOptions {
  key: string;
  issues: number;
  pageSize: number;
  /** Answer 429 (Retry-After: 1) the first time this page index is asked for. */
  rateLimitPage?: number;
}

/** A generated Jira Cloud project served through the replay's route hook, and what was asked of it. */
export interface SyntheticProject {
  route(request: ReplayRequest): ReplayResponse | undefined;
  /** How often each search page (by index) was requested, 429s included. */
  pageRequests: Map<number, number>;
  rateLimited: number;
}

/**
 * A Jira Cloud project of `issues` issues, oldest first, served over `nextPageToken` pages of
 * `pageSize` issues; each issue has one status change and one comment.
 */
export function syntheticCloudProject(options: SyntheticProjectOptions): SyntheticProject {
  const { key } = options;
  const pageRequests = new Map<number, number>();
  const project: SyntheticProject = { route, pageRequests, rateLimited: 0 };
  const issue = (n: number) => ({
    id: String(20_000 + n),
    key: `${key}-${n}`,
    fields: {
      summary: `Issue number ${n}`,
      description: `Plain description ${n}`,
      status: { id: "2", name: "Done" },
      priority: { id: "3", name: "Medium" },
      assignee: { accountId: "acc-1", emailAddress: "dev@example.com", displayName: "Dev" },
      creator: { accountId: "acc-1", emailAddress: "dev@example.com", displayName: "Dev" },
      created: new Date(Date.UTC(2024, 0, 1, 0, 0, n)).toISOString(),
      updated: new Date(Date.UTC(2024, 0, 2, 0, 0, n)).toISOString(),
    },
    renderedFields: { description: `<p>Description ${n}</p>` },
  });
  function route(request: ReplayRequest): ReplayResponse | undefined {
    const p = request.path;
    if (p === `/rest/api/2/project/${key}/roledetails`) return json(200, [{ name: "Administrators", id: 10002 }]);
    if (p === "/rest/api/2/issuetype/10001") return json(200, { id: "10001", name: "Task" });
    if (p === `/rest/api/2/project/${key}/statuses`) {
      return json(200, [{ id: "10001", statuses: [{ id: "1", name: "To Do", statusCategory: { key: "new" } }, { id: "2", name: "Done", statusCategory: { key: "done" } }] }]);
    }
    if (p === "/rest/api/2/issue/createmeta") {
      const fields = {
        summary: { name: "Summary", required: true, schema: { system: "summary" } },
        description: { name: "Description", schema: { system: "description" } },
        priority: { name: "Priority", schema: { system: "priority" }, allowedValues: [{ id: "1", name: "High" }, { id: "3", name: "Medium" }] },
        assignee: { name: "Assignee", schema: { system: "assignee" } },
      };
      return json(200, { projects: [{ issuetypes: [{ fields }] }] });
    }
    if (p === "/rest/api/3/search/jql") {
      const jql = request.query.get("jql") ?? "";
      if (!jql.includes("ORDER BY")) return json(200, { issues: [{ ...issue(1), editmeta: { fields: {} } }], isLast: true });
      const token = request.query.get("nextPageToken");
      const index = token === null ? 0 : Number(token.slice(1));
      pageRequests.set(index, (pageRequests.get(index) ?? 0) + 1);
      if (index === options.rateLimitPage && pageRequests.get(index) === 1) {
        project.rateLimited++;
        return json(429, { errorMessages: ["Rate limit exceeded."] }, { "retry-after": "1" });
      }
      const from = index * options.pageSize + 1;
      const to = Math.min(options.issues, from + options.pageSize - 1);
      const issues = [];
      for (let n = from; n <= to; n++) issues.push(issue(n));
      const isLast = to >= options.issues;
      return json(200, isLast ? { issues, isLast } : { issues, isLast, nextPageToken: `p${index + 1}` });
    }
    const history = /^\/rest\/api\/2\/issue\/[A-Z]+-(\d+)\/(changelog|comment)$/.exec(p);
    if (history) {
      const n = Number(history[1]);
      const author = { accountId: "acc-1", emailAddress: "dev@example.com", displayName: "Dev" };
      if (history[2] === "changelog") {
        const values = [{ id: String(n), created: new Date(Date.UTC(2024, 0, 1, 12, 0, n)).toISOString(), author, items: [{ field: "status", fieldId: "status", from: "1", fromString: "To Do", to: "2", toString: "Done" }] }];
        return json(200, { startAt: 0, maxResults: 100, total: 1, isLast: true, values });
      }
      const comments = [{ id: String(n), author, updateAuthor: author, body: `comment ${n}`, renderedBody: `<p>comment ${n}</p>`, created: new Date(Date.UTC(2024, 0, 1, 18, 0, n)).toISOString(), updated: new Date(Date.UTC(2024, 0, 1, 18, 0, n)).toISOString() }];
      return json(200, { startAt: 0, maxResults: 100, total: 1, comments });
    }
    return undefined;
  }
  return project;
}
