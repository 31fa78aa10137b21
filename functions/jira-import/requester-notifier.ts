import type { JobContext } from "../../shared/handler/define-job-handler.ts";
import type { ImportStats } from "./import-output.ts";
import type { StoredImport } from "./schema.ts";

/** How an import ended, as the requester is told. */
export type ImportOutcome =
  | { ok: true; stats: ImportStats; file: string; jiraRequests: number; durationMs: number }
  | { ok: false; code: string; reason: string; willRetry: false };

const MARKER_TTL_MS = 30 * 24 * 3600_000;

/**
 * Emails the requester the outcome of an import, at most once per import and outcome: a marker
 * is claimed in the key-value store before sending and released if the send fails, so a retried
 * or redelivered job does not mail twice and a failed send is tried again with the job.
 */
export async function notifyRequester(ctx: JobContext, request: StoredImport, outcome: ImportOutcome): Promise<void> {
  const marker = `import:${ctx.jobId}:mailed:${outcome.ok ? "success" : "failure"}`;
  if (!(await ctx.deps.kv.set(marker, "1", { ttlMs: MARKER_TTL_MS, ifAbsent: true }))) {
    ctx.logger.info({ to: request.requester.email }, "requester already notified of this outcome");
    return;
  }
  const subject = outcome.ok
    ? `Jira import of ${request.projectKey} into "${request.tracker.name}" is done: ${outcome.stats.artifacts} artifacts`
    : `Jira import of ${request.projectKey} into "${request.tracker.name}" failed`;
  const hello = `Hello${request.requester.name ? ` ${request.requester.name}` : ""},`;
  const what = `the import of the Jira project ${request.projectKey} from ${request.jiraUrl} (issue types: ${request.issueTypes === "all" ? "all" : request.issueTypes.join(", ")}) into the tracker "${request.tracker.name}"`;
  const text = outcome.ok
    ? [
        hello,
        "",
        `${what} is done.`,
        "",
        `Artifacts: ${outcome.stats.artifacts}`,
        `Changesets: ${outcome.stats.changesets}`,
        `Comments: ${outcome.stats.comments}`,
        ...(outcome.stats.duplicatesSkipped ? [`Issues listed twice by Jira and imported once: ${outcome.stats.duplicatesSkipped}`] : []),
        `Jira requests: ${outcome.jiraRequests}; duration: ${Math.round(outcome.durationMs / 1000)} s`,
        "",
        `Tracker XML: ${outcome.file}`,
        "",
        `Import id: ${ctx.jobId}`,
      ].join("\n")
    : [hello, "", `${what} failed.`, "", `Reason: ${outcome.reason}`, `Error code: ${outcome.code}`, "", "Nothing was imported. Fix the cause and publish the import again.", "", `Import id: ${ctx.jobId}`].join("\n");
  try {
    await ctx.deps.mailer.send({ to: request.requester.email, subject, text, headers: { "X-Backend-Workers-Job": ctx.jobId } });
  } catch (error) {
    await ctx.deps.kv.del(marker);
    throw error;
  }
}
