import type { Logger } from "../../shared/logging/logger.ts";
import { errorMessage } from "../../shared/errors.ts";
import type { JiraClient } from "./jira-client.ts";
import type { JiraUserPayload } from "./jira-types.ts";

/**
 * Turns Jira users into Tuleap user names, matching by e-mail through the request's `users` map
 * (Jira e-mail -> Tuleap user name); anyone else (no shared e-mail, no match) becomes the fallback
 * user, as Tuleap's tracker importer user does. Changelogs name users by a bare identifier
 * (Cloud accountId, Server key or name): known ones come from a cache filled with every user the
 * import has seen, unknown ones are asked from `/rest/api/2/user`.
 */
export class UserResolver {
  readonly fallback: string;
  readonly #byEmail: Map<string, string>;
  readonly #emailById = new Map<string, string | null>();
  readonly #client: JiraClient;
  readonly #logger: Logger;

  constructor(options: { users: Record<string, string>; fallback: string; client: JiraClient; logger: Logger }) {
    this.fallback = options.fallback;
    this.#byEmail = new Map(Object.entries(options.users).map(([email, name]) => [email.trim().toLowerCase(), name]));
    this.#client = options.client;
    this.#logger = options.logger;
  }

  /** Remembers a user seen in a payload, so later references by identifier need no request. */
  remember(user: JiraUserPayload | null | undefined): void {
    if (!user || typeof user !== "object") return;
    const email = typeof user.emailAddress === "string" && user.emailAddress !== "" ? user.emailAddress : null;
    for (const id of [user.accountId, user.key, user.name]) if (typeof id === "string" && id !== "") this.#emailById.set(id, email);
  }

  /** The Tuleap user name of a user payload (fallback when absent or unmatched). */
  fromPayload(user: JiraUserPayload | null | undefined): string {
    if (!user || typeof user !== "object") return this.fallback;
    this.remember(user);
    return this.#fromEmail(user.emailAddress);
  }

  /** The Tuleap user name of a user known only by identifier; asks Jira once per unknown identifier. */
  async fromIdentifier(identifier: string): Promise<string> {
    const id = identifier.trim();
    if (!this.#emailById.has(id)) {
      try {
        const query = this.#client.flavor === "cloud" ? { accountId: id } : { username: id };
        const user = await this.#client.get<JiraUserPayload>("/rest/api/2/user", query);
        this.remember(user);
        this.#emailById.set(id, typeof user?.emailAddress === "string" && user.emailAddress !== "" ? user.emailAddress : null);
      } catch (error) {
        const code = (error as { code?: string }).code;
        // A vanished or hidden user is not worth failing the import; Jira being down is.
        if (code !== "JIRA_NOT_FOUND" && code !== "JIRA_FORBIDDEN" && code !== "JIRA_REQUEST_REJECTED") throw error;
        this.#logger.warn({ user: id, err: errorMessage(error) }, "Jira user unknown; using the fallback user");
        this.#emailById.set(id, null);
      }
    }
    return this.#fromEmail(this.#emailById.get(id) ?? undefined);
  }

  /** Remembers every user object found among an issue's field values. */
  rememberAll(values: Iterable<unknown>): void {
    for (const value of values) {
      for (const item of Array.isArray(value) ? value : [value]) {
        if (item && typeof item === "object" && ("accountId" in item || ("name" in item && "displayName" in item))) this.remember(item as JiraUserPayload);
      }
    }
  }

  #fromEmail(email: string | null | undefined): string {
    if (!email) return this.fallback;
    return this.#byEmail.get(email.trim().toLowerCase()) ?? this.fallback;
  }
}
