import { BackendWorkersError, errorCode, errorMessage, isRetryable } from "../../shared/errors.ts";
import type { JobContext } from "../../shared/handler/define-job-handler.ts";
import { artifactXml } from "./artifact-xml.ts";
import { ChangesetBuilder } from "./changeset-builder.ts";
import { credentialVault } from "./credential-vault.ts";
import { importCheckpoint } from "./import-checkpoint.ts";
import { ImportOutput, type PageArtifact } from "./import-output.ts";
import { loadIssueHistory } from "./issue-history-loader.ts";
import { JiraClient } from "./jira-client.ts";
import { fetchSearchPage, firstCursor } from "./jira-pages.ts";
import { notifyRequester } from "./requester-notifier.ts";
import type { StoredImport } from "./schema.ts";
import { loadStructure } from "./structure-loader.ts";
import { TRACKER_FOOTER_XML, trackerHeaderXml } from "./tracker-xml.ts";
import { UserResolver } from "./user-resolver.ts";

/** Issues whose history is fetched at once: enough to hide latency, few enough to stay polite to Jira. */
const ISSUE_CONCURRENCY = 4;

/**
 * The body of the `jira-import` function. The import id is the job id, stable across retries:
 * it names the output directory and the checkpoint. Issues are read one search page at a time,
 * converted and written as that page's part; the checkpoint then moves past the page. A retry
 * (or a worker killed mid-way) resumes at the first unwritten page; `tracker.xml` is assembled
 * from the parts at the end, each artifact once. The requester gets one email per outcome.
 */
export async function runImport(request: StoredImport, ctx: JobContext): Promise<void> {
  const { kv, config } = ctx.deps;
  const started = performance.now();
  const output = new ImportOutput(config.importDir, ctx.jobId);
  let checkpoint = await importCheckpoint.load(kv, ctx.jobId);
  try {
    if (checkpoint.finished) {
      ctx.logger.info({ file: output.trackerFile }, "import already finished; nothing to do");
      return;
    }
    const credentials = await credentialVault.load(kv, config, ctx.jobId, request.credentialsRef);
    const client = await JiraClient.connect({ baseUrl: request.jiraUrl, credentials, fetch: ctx.deps.fetch, signal: ctx.signal, logger: ctx.logger });
    let structure = await output.readStructure();
    if (!structure) {
      structure = await loadStructure(client, request);
      await output.writeStructure(structure);
    }
    const users = new UserResolver({ users: request.users, fallback: request.fallbackUser, client, logger: ctx.logger });
    const builder = new ChangesetBuilder(structure, users);
    let cursor = checkpoint.pages === 0 ? firstCursor(client) : checkpoint.cursor;
    if (checkpoint.pages > 0) ctx.logger.info({ pages: checkpoint.pages }, "resuming the import from its checkpoint");
    while (cursor !== null) {
      const page = await fetchSearchPage(client, structure.jql, cursor);
      // A few issues of the page at a time (their changelog and comments are separate requests);
      // the page's raw JSON is dropped as soon as its artifacts are text.
      const artifacts = await mapInOrder(page.issues, ISSUE_CONCURRENCY, async (issue): Promise<PageArtifact> => {
        const artifact = await builder.build(await loadIssueHistory(client, issue));
        return { id: artifact.id, changesets: artifact.changesets.length, comments: artifact.changesets.reduce((n, c) => n + c.comments.length, 0), xml: artifactXml(artifact) };
      });
      await output.writePage(checkpoint.pages, artifacts);
      checkpoint = { ...checkpoint, pages: checkpoint.pages + 1, cursor: page.next };
      await importCheckpoint.save(kv, ctx.jobId, checkpoint);
      ctx.logger.debug({ page: checkpoint.pages, issues: page.issues.length }, "page imported");
      cursor = page.next;
    }
    const stats = await output.assemble(trackerHeaderXml(structure, request.tracker), TRACKER_FOOTER_XML, checkpoint.pages);
    ctx.logger.info({ ...stats, file: output.trackerFile, jiraRequests: client.requests }, "Jira import written");
    await notifyRequester(ctx, request, { ok: true, stats, file: output.trackerFile, jiraRequests: client.requests, durationMs: performance.now() - started });
    checkpoint = { ...checkpoint, finished: true };
    await importCheckpoint.save(kv, ctx.jobId, checkpoint);
    await credentialVault.discard(kv, request.credentialsRef);
    await output.removeParts();
  } catch (error) {
    await onFailure(error, request, ctx);
    throw error;
  }
}

/**
 * A failure that no retry will follow is the import's outcome: the requester is told why and the
 * credentials are deleted. The function knows a failure is final when it is not retryable; a
 * retryable failure on the last attempt is final too, when the host says which attempt is the
 * last (`ctx.maxAttempts`, which the listener fills from the function's maximumRetryAttempts).
 */
async function onFailure(error: unknown, request: StoredImport, ctx: JobContext): Promise<void> {
  if (ctx.signal.aborted) return;
  const { maxAttempts } = ctx;
  const final = !isRetryable(error) || (maxAttempts !== undefined && ctx.attempt >= maxAttempts);
  if (!final) return;
  const code = errorCode(error);
  const reason = error instanceof BackendWorkersError || code !== "HANDLER_ERROR" ? errorMessage(error) : `unexpected error: ${errorMessage(error)}`;
  try {
    await notifyRequester(ctx, request, { ok: false, code, reason, willRetry: false });
    await credentialVault.discard(ctx.deps.kv, request.credentialsRef);
  } catch (notifyError) {
    ctx.logger.error({ err: errorMessage(notifyError) }, "could not tell the requester that the import failed");
  }
}

/** Maps with at most `limit` calls in flight, keeping the input order. */
async function mapInOrder<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
