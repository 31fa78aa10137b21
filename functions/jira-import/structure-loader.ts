import { BackendWorkersError } from "../../shared/errors.ts";
import type { JiraClient } from "./jira-client.ts";
import type { JiraFieldMeta } from "./jira-types.ts";
import { buildTrackerFields, mergeFieldMeta, type JiraStatus, type TrackerStructure } from "./tracker-structure.ts";

/** What the structure is loaded for. */
export interface StructureRequest {
  jiraUrl: string;
  projectKey: string;
  issueTypes: "all" | string[];
}

/**
 * Reads what the tracker is made of, with the same requests as Tuleap so recorded Jira traffic
 * replays: the issue types (`/project/{key}` for all of them, or each `/issuetype/{id}` after a
 * permission check), the project's statuses, each type's create metadata (`createmeta`) and edit
 * metadata (one issue with `expand=editmeta`), and the priorities when no metadata lists them.
 */
export async function loadStructure(client: JiraClient, request: StructureRequest): Promise<TrackerStructure> {
  const key = request.projectKey;
  let issueTypeIds: string[];
  if (request.issueTypes === "all") {
    const project = await client.get<{ issueTypes?: { id: string }[] }>(`/rest/api/2/project/${encodeURIComponent(key)}`);
    issueTypeIds = (project?.issueTypes ?? []).map((type) => String(type.id));
    if (issueTypeIds.length === 0) throw new BackendWorkersError("JIRA_PROJECT_EMPTY", `Jira project ${key} has no issue type to import`, { retryable: false });
  } else {
    await checkAccess(client, key);
    issueTypeIds = request.issueTypes;
    for (const id of issueTypeIds) await client.get(`/rest/api/2/issuetype/${encodeURIComponent(id)}`);
  }

  const statuses = await loadStatuses(client, key, issueTypeIds);
  const meta = new Map<string, JiraFieldMeta>();
  let oneIssueHasPriority = false;
  for (const typeId of issueTypeIds) {
    const create = await client.get<{ projects?: { issuetypes?: { fields?: Record<string, JiraFieldMeta> }[] }[] }>("/rest/api/2/issue/createmeta", {
      projectKeys: key,
      issuetypeIds: typeId,
      expand: "projects.issuetypes.fields",
    });
    mergeFieldMeta(meta, create?.projects?.[0]?.issuetypes?.[0]?.fields ?? {});
    const jql = `project="${key}" AND issuetype=${typeId}`;
    const one =
      client.flavor === "cloud"
        ? await client.get<EditMetaPage>("/rest/api/3/search/jql", { jql, expand: "editmeta", maxResults: 1 })
        : await client.get<EditMetaPage>("/rest/api/2/search", { jql, expand: "editmeta", startAt: 0, maxResults: 1 });
    const issue = one?.issues?.[0];
    const editable = Object.fromEntries(Object.entries(issue?.editmeta?.fields ?? {}).filter(([id]) => !meta.has(id)));
    mergeFieldMeta(meta, editable);
    if (issue?.fields?.priority) oneIssueHasPriority = true;
  }
  if (!meta.has("priority") && oneIssueHasPriority) {
    const priorities = await client.get<{ id?: string; name?: string }[]>("/rest/api/2/priority");
    meta.set("priority", { name: "Priority", schema: { system: "priority" }, allowedValues: (priorities ?? []).filter((p) => p.id !== undefined && p.name !== undefined) });
  }

  const { fields, doneStatusRefs } = buildTrackerFields(meta, statuses, { withIssueType: issueTypeIds.length > 1 });
  return {
    version: 1,
    flavor: client.flavor,
    jiraUrl: request.jiraUrl,
    projectKey: key,
    issueTypeIds,
    jql: searchJql(key, issueTypeIds),
    fields,
    doneStatusRefs,
  };
}

interface EditMetaPage {
  issues?: { fields?: { priority?: unknown }; editmeta?: { fields?: Record<string, JiraFieldMeta> } }[];
}

/** The issue search, in Tuleap's words so recorded traffic replays (oldest first for one type). */
export function searchJql(key: string, issueTypeIds: string[]): string {
  if (issueTypeIds.length === 1) return `project="${key}" AND issuetype=${issueTypeIds[0]} ORDER BY created ASC`;
  return `project="${key}" AND issuetype in (${issueTypeIds.join(",")} )`;
}

/** The account must at least browse the project: Server says so in mypermissions, Cloud lists the account's roles. */
async function checkAccess(client: JiraClient, key: string): Promise<void> {
  if (client.flavor === "cloud") {
    const roles = await client.get<unknown[]>(`/rest/api/2/project/${encodeURIComponent(key)}/roledetails`, { currentMember: "true" });
    if (Array.isArray(roles) && roles.length === 0) throw forbidden(client, key);
    return;
  }
  const answer = await client.get<{ permissions?: Record<string, { havePermission?: boolean }> }>("/rest/api/2/mypermissions", { projectKey: key });
  const permissions = answer?.permissions ?? {};
  if (!(permissions.BROWSE_PROJECTS?.havePermission || permissions.BROWSE?.havePermission)) throw forbidden(client, key);
}

function forbidden(client: JiraClient, key: string): BackendWorkersError {
  return new BackendWorkersError("JIRA_FORBIDDEN", `the Jira account has no access to project ${key} on ${client.baseUrl}`, { retryable: false });
}

async function loadStatuses(client: JiraClient, key: string, issueTypeIds: string[]): Promise<JiraStatus[]> {
  const types = await client.get<{ id: string; statuses?: { id: string; name: string; statusCategory?: { key?: string } }[] }[]>(`/rest/api/2/project/${encodeURIComponent(key)}/statuses`);
  const wanted = new Set(issueTypeIds);
  const seen = new Map<string, JiraStatus>();
  for (const type of types ?? []) {
    if (!wanted.has(String(type.id))) continue;
    for (const status of type.statuses ?? []) {
      if (!seen.has(String(status.id))) seen.set(String(status.id), { id: String(status.id), name: status.name, category: status.statusCategory?.key });
    }
  }
  return [...seen.values()];
}
