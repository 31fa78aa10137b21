import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { validateXML } from "xmllint-wasm";
import { loadManifest, startJiraReplay } from "../../functions/jira-import/replay-server.ts";
import { FALLBACK_USER, FIXTURE_SETS, FIXTURES_DIR, TRACKER_RNG } from "./fixture-sets.ts";
import { ImportHarness, TEST_TOKEN } from "./import-harness.ts";
import { summarizeTrackerXml } from "./tracker-xml-summary.ts";

const redisUrl = inject("redisUrl");
const COMPARED_FIELDS = ["summary", "status", "priority", "assignee", "description"];

/**
 * Where this importer knowingly differs from the recorded Tuleap output, per set and artifact.
 * DI-4 (10207): Jira recorded one more changelog entry (2023-07-27, the Bug-only checkbox
 * customfield_10032) that Tuleap's mono-tracker import left out of the history while keeping its
 * value in the first changeset; this importer replays it as its own changeset. Nothing else differs.
 */
const KNOWN_EXTRA_CHANGESETS: Record<string, Record<string, number>> = { DI: { "10207": 1 } };

/**
 * Final values where Tuleap's recorded XML is wrong and this importer's differs on purpose.
 * DI-5 (10208) is assigned to Thomas Gorka (user04@example.com), whom no Tuleap user matches, so
 * the assignee is the fallback user; Tuleap's XML names "manon" (user03), a user-cache mix-up on
 * its side: its test setup has no user for user04 and it never asked Jira about that account.
 */
const KNOWN_CORRECTED_VALUES: Record<string, Record<string, Record<string, string>>> = { DI: { "10208": { assignee: FALLBACK_USER } } };

describe("jira-import replays every recorded Jira session into the XML Tuleap produced", () => {
  let harness: ImportHarness;
  const rng = readFileSync(TRACKER_RNG, "utf8");
  beforeAll(async () => {
    harness = await ImportHarness.start(redisUrl);
  });
  afterAll(async () => {
    await harness.close();
  });

  it.each(FIXTURE_SETS)("$name ($flavor)", async (set) => {
    // Prepare
    const dir = join(FIXTURES_DIR, set.name);
    const replay = await startJiraReplay({ flavor: set.flavor, recorded: loadManifest(dir) });
    try {
      const jobId = harness.newJobId();
      const payload = await harness.stored({ jiraUrl: replay.url, projectKey: set.projectKey, issueTypes: set.issueTypes, users: set.users, fallbackUser: FALLBACK_USER }, jobId);

      // Act
      const response = await harness.run(payload, { jobId });

      // Assess
      expect(response.batchItemFailures).toEqual([]);
      expect(replay.unknown.map((request) => request.key)).toEqual([]);
      const produced = readFileSync(join(harness.config.importDir, jobId, "tracker.xml"), "utf8");
      const validation = await validateXML({ xml: { fileName: "tracker.xml", contents: produced }, schema: { fileName: "tracker.rng", contents: rng }, extension: "relaxng" });
      expect(validation.errors.map((error) => error.rawMessage)).toEqual([]);
      expect(validation.valid).toBe(true);

      const mine = summarizeTrackerXml(produced);
      const tuleap = summarizeTrackerXml(readFileSync(join(dir, set.expectedXml), "utf8"));
      expect([...mine.keys()].sort()).toEqual([...tuleap.keys()].sort());
      for (const [id, expected] of tuleap) {
        const actual = mine.get(id)!;
        const extra = KNOWN_EXTRA_CHANGESETS[set.name]?.[id] ?? 0;
        expect({ id, changesets: actual.changesets }).toEqual({ id, changesets: expected.changesets + extra });
        for (const field of COMPARED_FIELDS) {
          const value = KNOWN_CORRECTED_VALUES[set.name]?.[id]?.[field] ?? expected.final[field];
          expect({ id, field, value: actual.final[field] }).toEqual({ id, field, value });
        }
      }
      // Every Jira request authenticated the way this kind of Jira expects.
      const authenticated = replay.requests.filter((request) => request.path !== "/rest/api/2/serverInfo");
      expect(new Set(authenticated.map((request) => request.authorization?.split(" ")[0]))).toEqual(new Set([set.flavor === "cloud" ? "Basic" : "Bearer"]));
      const mail = harness.smtp.messages.find((m) => m.raw.includes(jobId));
      expect(mail?.raw).toContain(`Artifacts: ${tuleap.size}`);
      expect(mail?.raw).not.toContain(TEST_TOKEN);
    } finally {
      await replay.close();
    }
  });
});
