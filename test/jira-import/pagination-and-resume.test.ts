import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createFunctionDeps } from "../../shared/composition/function-deps.ts";
import { runImport } from "../../functions/jira-import/run-import.ts";
import { startJiraReplay, type JiraReplay } from "../../functions/jira-import/replay-server.ts";
import { ImportHarness } from "./import-harness.ts";
import { syntheticCloudProject } from "./synthetic-jira.ts";
import { summarizeTrackerXml } from "./tracker-xml-summary.ts";

const redisUrl = inject("redisUrl");

describe("jira-import on a 250-issue Jira Cloud project paged with nextPageToken", () => {
  let harness: ImportHarness;
  beforeAll(async () => {
    harness = await ImportHarness.start(redisUrl);
  });
  afterAll(async () => {
    await harness.close();
  });

  it("follows every page, waits out a 429 in the middle and imports each issue once", async () => {
    // Prepare
    const project = syntheticCloudProject({ key: "SYN", issues: 250, pageSize: 40, rateLimitPage: 3 });
    const replay = await startJiraReplay({ flavor: "cloud", route: project.route });
    try {
      const jobId = harness.newJobId();
      const payload = await harness.stored({ jiraUrl: replay.url, projectKey: "SYN", issueTypes: ["10001"], users: { "dev@example.com": "dev" } }, jobId);

      // Act
      const response = await harness.run(payload, { jobId });

      // Assess
      expect(response.batchItemFailures).toEqual([]);
      expect(replay.unknown).toEqual([]);
      expect(project.rateLimited).toBe(1);
      // 7 pages (6 x 40 + 10); page 3 asked twice because of its 429, every other page once.
      expect([...project.pageRequests.entries()].sort(([a], [b]) => a - b)).toEqual([[0, 1], [1, 1], [2, 1], [3, 2], [4, 1], [5, 1], [6, 1]]);
      const artifacts = summarizeTrackerXml(readFileSync(join(harness.config.importDir, jobId, "tracker.xml"), "utf8"));
      expect(artifacts.size).toBe(250);
      expect([...artifacts.keys()].sort()).toEqual(Array.from({ length: 250 }, (_, i) => String(20_001 + i)).sort());
      for (const artifact of artifacts.values()) {
        // creation, the status change, the comment
        expect(artifact.changesets).toBe(3);
        expect(artifact.final.status).toBe("Done");
        expect(artifact.final.assignee).toBe("dev");
      }
    } finally {
      await replay.close();
    }
  });

  it("resumes at its checkpoint after being stopped mid-import, without duplicates or refetching done pages", async () => {
    // Prepare: the first run is stopped when it asks for page 3, as a killed worker would stop.
    const project = syntheticCloudProject({ key: "SYN", issues: 250, pageSize: 40 });
    let replay: JiraReplay | undefined;
    const stop = new AbortController();
    replay = await startJiraReplay({
      flavor: "cloud",
      route: (request) => {
        if (request.query.get("nextPageToken") === "p3" && !stop.signal.aborted) stop.abort(new Error("worker killed"));
        return project.route(request);
      },
    });
    try {
      const jobId = harness.newJobId();
      const payload = await harness.stored({ jiraUrl: replay.url, projectKey: "SYN", issueTypes: ["10001"], users: { "dev@example.com": "dev" } }, jobId);
      const scope = createFunctionDeps({ config: harness.config, logger: harness.logger, type: "jira-import", redis: harness.redis });
      const ctx = { logger: harness.logger, signal: stop.signal, attempt: 1, jobId, enqueuedAt: Date.now(), deps: scope.deps };

      // Act
      await expect(runImport(payload, ctx)).rejects.toThrow();
      await scope.dispose();
      const pagesBefore = new Map(project.pageRequests);
      const response = await harness.run(payload, { jobId, attempt: 2 });

      // Assess
      expect(response.batchItemFailures).toEqual([]);
      expect(pagesBefore.get(0)).toBe(1);
      // Pages 0-2 were written before the stop and are never asked again; page 3 is redone.
      expect([0, 1, 2].map((index) => project.pageRequests.get(index))).toEqual([1, 1, 1]);
      expect(project.pageRequests.get(3)).toBe(2);
      const artifacts = summarizeTrackerXml(readFileSync(join(harness.config.importDir, jobId, "tracker.xml"), "utf8"));
      expect(artifacts.size).toBe(250);
      const xml = readFileSync(join(harness.config.importDir, jobId, "tracker.xml"), "utf8");
      expect(xml.match(/<artifact id=/g)?.length).toBe(250);
      expect(harness.smtp.messages.filter((mail) => mail.raw.includes(jobId))).toHaveLength(1);

      // A redelivery of the finished job changes nothing and mails nobody.
      const again = await harness.run(payload, { jobId, attempt: 3 });
      expect(again.batchItemFailures).toEqual([]);
      expect(harness.smtp.messages.filter((mail) => mail.raw.includes(jobId))).toHaveLength(1);
    } finally {
      await replay.close();
    }
  });
});
