import { join } from "node:path";

/**
 * Where the recorded Jira sessions are: copied into the repository (test/fixtures/jira, from the
 * shared folder's fixtures) so a clean checkout on a CI machine has them too.
 */
export const FIXTURES_DIR = join(import.meta.dirname, "..", "fixtures", "jira");
export const TRACKER_RNG = join(import.meta.dirname, "..", "fixtures", "tuleap-xml", "tracker.rng");

/** One recorded import: how it was asked for and the XML Tuleap produced from it. */
export interface FixtureSet {
  name: string;
  flavor: "cloud" | "server";
  projectKey: string;
  issueTypes: "all" | string[];
  /** The Tuleap users Tuleap's own test matched by e-mail; everyone else became its importer user "John". */
  users: Record<string, string>;
  expectedXml: string;
}

/** The five recorded sets: Jira Cloud (SP, IE, DI) and Jira Server (SBX, IXMC). */
export const FIXTURE_SETS: FixtureSet[] = [
  {
    name: "SP",
    flavor: "cloud",
    projectKey: "SP",
    issueTypes: ["10001"],
    users: { "manuel.vacelet@example.com": "manuel_vacelet", "thomas.cottier@example.com": "thomas_cottier", "manon.midy@example.com": "manon_midy", "thomas.gorka@example.com": "thomas_gorka" },
    expectedXml: "tracker.xml",
  },
  { name: "IE", flavor: "cloud", projectKey: "IE", issueTypes: ["10002"], users: { "marie-ange.garnier@example.com": "marie-ange.garnier", "manuel.vacelet@example.com": "manuel_vacelet" }, expectedXml: "tracker.xml" },
  { name: "DI", flavor: "cloud", projectKey: "DI", issueTypes: "all", users: { "user01@example.com": "yannis", "user02@example.com": "mag", "user03@example.com": "manon" }, expectedXml: "mono_tracker.xml" },
  { name: "SBX", flavor: "server", projectKey: "SBX", issueTypes: ["10102"], users: { "john.doe@example.com": "john_doe" }, expectedXml: "tracker.xml" },
  {
    name: "IXMC",
    flavor: "server",
    projectKey: "IXMC",
    issueTypes: ["10105"],
    users: Object.fromEntries([1, 2, 3, 4, 5].map((n) => [`user_${n}@example.com`, `user_${n}`])),
    expectedXml: "tracker.xml",
  },
];

/** The name Tuleap's test gives its tracker-importer user. */
export const FALLBACK_USER = "John";
