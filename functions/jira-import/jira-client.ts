import { setTimeout as sleep } from "node:timers/promises";
import { BackendWorkersError } from "../../shared/errors.ts";
import type { Logger } from "../../shared/logging/logger.ts";
import type { JiraCredentials } from "./credential-vault.ts";

/** Jira Cloud (REST v3 search with page tokens, Basic auth) or Server/Data Center (startAt paging, Bearer PAT). */
export type JiraFlavor = "cloud" | "server";

/** Options of {@link JiraClient.connect}. */
export interface JiraClientOptions {
  baseUrl: string;
  credentials: JiraCredentials;
  fetch: typeof fetch;
  /** The job's signal: aborts every request and back-off wait. */
  signal: AbortSignal;
  logger: Logger;
  /** Per request, as Tuleap does (30 s). */
  timeoutMs?: number;
  /** Attempts per request on 5xx, network errors and timeouts; longer outages are left to the job's retries. */
  attempts?: number;
  backoffBaseMs?: number;
  /** How many 429 answers one request may wait through, and the longest single wait. */
  maxRateLimitWaits?: number;
  maxRateLimitWaitMs?: number;
}

const DEFAULTS = { timeoutMs: 30_000, attempts: 4, backoffBaseMs: 250, maxRateLimitWaits: 20, maxRateLimitWaitMs: 60_000 };

/**
 * A small Jira REST client. Every request goes through the injected `fetch` with the job's
 * signal and its own timeout; `429` waits for `Retry-After`, 5xx / network errors / timeouts are
 * retried with exponential back-off and jitter, and then fail as retryable `JIRA_UNAVAILABLE`.
 * 401, 403 and 404 are final. Messages name the method and path, never a credential.
 */
export class JiraClient {
  readonly flavor: JiraFlavor;
  readonly baseUrl: string;
  /** Requests sent, retries included: for the outcome summary. */
  requests = 0;
  readonly #options: Required<Omit<JiraClientOptions, "credentials">>;
  readonly #authorization: string;
  readonly #secrets: string[];

  private constructor(options: JiraClientOptions, flavor: JiraFlavor) {
    this.flavor = flavor;
    this.baseUrl = options.baseUrl.replace(/\/+$/, "");
    const { credentials, ...rest } = options;
    this.#options = { ...DEFAULTS, ...rest };
    this.#secrets = [credentials.token, ...(credentials.email ? [credentials.email] : [])];
    if (flavor === "cloud") {
      if (!credentials.email) {
        throw new BackendWorkersError("JIRA_CREDENTIALS_INCOMPLETE", `${this.baseUrl} is Jira Cloud: credentials need the account e-mail beside the API token`, { retryable: false });
      }
      this.#authorization = `Basic ${Buffer.from(`${credentials.email}:${credentials.token}`).toString("base64")}`;
      this.#secrets.push(this.#authorization.slice(6));
    } else {
      this.#authorization = `Bearer ${credentials.token}`;
    }
  }

  /**
   * Asks the unauthenticated `/rest/api/2/serverInfo` which kind of Jira this is (as Tuleap
   * does) and returns a client authenticating accordingly: Cloud -> Basic e-mail:token,
   * Server/Data Center -> Bearer personal access token.
   */
  static async connect(options: JiraClientOptions): Promise<JiraClient> {
    const probe = new JiraClient({ ...options, credentials: { token: options.credentials.token } }, "server");
    const info = await probe.#request("/rest/api/2/serverInfo", undefined, false);
    const deployment = typeof info === "object" && info !== null ? (info as { deploymentType?: unknown }).deploymentType : undefined;
    const flavor: JiraFlavor = deployment === "Cloud" ? "cloud" : "server";
    const client = new JiraClient(options, flavor);
    client.requests = probe.requests;
    options.logger.info({ jira: client.baseUrl, flavor, version: (info as { version?: unknown })?.version }, "connected to Jira");
    return client;
  }

  /** GETs a JSON resource; `query` values that are undefined are left out. */
  async get<T = unknown>(path: string, query?: Record<string, string | number | undefined>): Promise<T> {
    return (await this.#request(path, query, true)) as T;
  }

  async #request(path: string, query: Record<string, string | number | undefined> | undefined, authenticated: boolean): Promise<unknown> {
    const { signal, timeoutMs, attempts, backoffBaseMs, maxRateLimitWaits, maxRateLimitWaitMs, logger } = this.#options;
    const search = new URLSearchParams();
    for (const [key, value] of Object.entries(query ?? {})) if (value !== undefined) search.set(key, String(value));
    const target = `${path}${search.size ? `?${search}` : ""}`;
    const what = `GET ${path}`;
    let failures = 0;
    let rateLimitWaits = 0;
    for (;;) {
      signal.throwIfAborted();
      this.requests++;
      let response: Response;
      try {
        const headers: Record<string, string> = { accept: "application/json" };
        if (authenticated) headers.authorization = this.#authorization;
        response = await this.#options.fetch(`${this.baseUrl}${target}`, { headers, signal: AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]) });
      } catch (error) {
        signal.throwIfAborted();
        const reason = (error as Error)?.name === "TimeoutError" ? `no answer within ${timeoutMs} ms` : this.#redact(causeText(error));
        if (++failures >= attempts) throw unavailable(this.baseUrl, what, reason, failures);
        logger.warn({ jira: this.baseUrl, request: what, attempt: failures, reason }, "Jira request failed; retrying");
        await this.#wait(backoff(failures, backoffBaseMs));
        continue;
      }
      if (response.ok) return this.#json(response, what);
      const detail = await this.#errorDetail(response);
      if (response.status === 429) {
        if (++rateLimitWaits > maxRateLimitWaits) {
          throw new BackendWorkersError("JIRA_RATE_LIMITED", `Jira at ${this.baseUrl} kept answering 429 Too Many Requests to ${what} (${maxRateLimitWaits} waits)`, { retryable: true });
        }
        const waitMs = Math.min(retryAfterMs(response.headers.get("retry-after")) ?? backoff(rateLimitWaits, 1000), maxRateLimitWaitMs);
        logger.info({ jira: this.baseUrl, request: what, waitMs }, "Jira rate limit: waiting as Retry-After asks");
        await this.#wait(waitMs);
        continue;
      }
      if (response.status >= 500) {
        if (++failures >= attempts) throw unavailable(this.baseUrl, what, `HTTP ${response.status}${detail}`, failures);
        logger.warn({ jira: this.baseUrl, request: what, attempt: failures, status: response.status }, "Jira answered with a server error; retrying");
        await this.#wait(backoff(failures, backoffBaseMs));
        continue;
      }
      throw this.#finalError(response.status, what, detail);
    }
  }

  #finalError(status: number, what: string, detail: string): BackendWorkersError {
    const details = { status };
    switch (status) {
      case 401:
        return new BackendWorkersError("JIRA_AUTH_FAILED", `Jira at ${this.baseUrl} rejected the credentials (401 Unauthorized) on ${what}: check the ${this.flavor === "cloud" ? "account e-mail and API token" : "personal access token"}`, { retryable: false, details });
      case 403:
        return new BackendWorkersError("JIRA_FORBIDDEN", `Jira at ${this.baseUrl} refused ${what} (403 Forbidden): the account lacks a permission this import needs${detail}`, { retryable: false, details });
      case 404:
        return new BackendWorkersError("JIRA_NOT_FOUND", `Jira at ${this.baseUrl} has no ${what} (404 Not Found): check the project key and issue types${detail}`, { retryable: false, details });
      default:
        return new BackendWorkersError("JIRA_REQUEST_REJECTED", `Jira at ${this.baseUrl} answered ${status} to ${what}${detail}`, { retryable: false, details });
    }
  }

  async #json(response: Response, what: string): Promise<unknown> {
    const text = await response.text();
    try {
      return text === "" ? null : JSON.parse(text);
    } catch {
      throw new BackendWorkersError("JIRA_BAD_RESPONSE", `Jira at ${this.baseUrl} answered ${what} with something that is not JSON (is the URL a Jira instance?)`, { retryable: false });
    }
  }

  /** Jira's own error messages ("The value 'X' does not exist for the field 'project'."), trimmed and scrubbed. */
  async #errorDetail(response: Response): Promise<string> {
    try {
      const body = JSON.parse(await response.text()) as { errorMessages?: unknown; message?: unknown };
      const messages = Array.isArray(body.errorMessages) ? body.errorMessages.filter((m) => typeof m === "string") : typeof body.message === "string" ? [body.message] : [];
      return messages.length ? `: ${this.#redact(messages.join("; ").slice(0, 300))}` : "";
    } catch {
      return "";
    }
  }

  #redact(text: string): string {
    let out = text;
    for (const secret of this.#secrets) if (secret.length >= 4) out = out.split(secret).join("***");
    return out;
  }

  async #wait(ms: number): Promise<void> {
    await sleep(ms, undefined, { signal: this.#options.signal });
  }
}

function unavailable(baseUrl: string, what: string, reason: string, attempts: number): BackendWorkersError {
  return new BackendWorkersError("JIRA_UNAVAILABLE", `Jira at ${baseUrl} is unreachable or failing: ${what} failed ${attempts} times (last: ${reason})`, { retryable: true });
}

function backoff(failures: number, baseMs: number): number {
  const ceiling = baseMs * 2 ** (failures - 1);
  return Math.round(ceiling / 2 + Math.random() * (ceiling / 2));
}

/** Retry-After is either delay-seconds or an HTTP date (RFC 9110 §10.2.3). */
function retryAfterMs(header: string | null): number | undefined {
  if (header === null || header.trim() === "") return undefined;
  if (/^\d+$/.test(header.trim())) return Number(header.trim()) * 1000;
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

function causeText(error: unknown): string {
  const cause = (error as { cause?: { code?: unknown; message?: unknown } })?.cause;
  if (cause && typeof cause.code === "string") return cause.code;
  return error instanceof Error ? error.message : String(error);
}
