import { existsSync, readFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";

/** A canned answer. */
export interface ReplayResponse {
  status: number;
  body: string;
  headers?: Record<string, string>;
}

/** A request as the replay saw it. */
export interface ReplayRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  /** Path plus the query that matters: see {@link requestKey}. */
  key: string;
  authorization: string | undefined;
}

/** Options of {@link startJiraReplay}. */
export interface JiraReplayOptions {
  /** Answers `/rest/api/2/serverInfo` as this kind of Jira; the recordings hold no serverInfo. */
  flavor: "cloud" | "server";
  /** Answers by request key; see {@link loadManifest}. */
  recorded?: Map<string, ReplayResponse>;
  /** Asked first; answer undefined to fall through to the recordings (fault injection, synthetic projects). */
  route?(request: ReplayRequest): ReplayResponse | undefined | Promise<ReplayResponse | undefined>;
  /** When set, any other Authorization header gets 401 (except serverInfo, which is anonymous). */
  expectedAuthorization?: string;
  port?: number;
}

/** A running replay. */
export interface JiraReplay {
  url: string;
  requests: ReplayRequest[];
  /** Requests nothing answered (each got a 404). */
  unknown: ReplayRequest[];
  close(): Promise<void>;
}

/** Query parameters the replay ignores, as recordings differ in them without meaning anything. */
const IGNORED = new Set(["fields", "expand", "maxResults"]);

/**
 * What identifies a request: its path and its query without `fields`, `expand` and `maxResults`,
 * and without `startAt=0` (the default, which Jira Cloud's token-paged search does not take).
 */
export function requestKey(path: string, query: URLSearchParams): string {
  const kept = [...query.entries()].filter(([name, value]) => !IGNORED.has(name) && !(name === "startAt" && value === "0")).sort(([a], [b]) => a.localeCompare(b));
  return kept.length ? `${path}?${new URLSearchParams(kept)}` : path;
}

/**
 * Reads a recorded Jira session: `manifest.log` lines `URL file status`, the file beside it
 * (with or without a `.json` suffix). Host names are dropped: the replay answers by path.
 */
export function loadManifest(dir: string): Map<string, ReplayResponse> {
  const recorded = new Map<string, ReplayResponse>();
  for (const line of readFileSync(join(dir, "manifest.log"), "utf8").split("\n")) {
    const [url, file, status] = line.trim().split(/\s+/);
    if (!url || !file) continue;
    const path = existsSync(join(dir, file)) ? join(dir, file) : join(dir, `${file}.json`);
    const parsed = new URL(url);
    recorded.set(requestKey(parsed.pathname, parsed.searchParams), { status: Number(status ?? 200), body: readFileSync(path, "utf8"), headers: { "content-type": "application/json" } });
  }
  return recorded;
}

/**
 * A local HTTP server replaying Jira on 127.0.0.1: serverInfo per flavour, then the route hook,
 * then the recordings; anything else is a 404 and is listed in `unknown`, so a test sees every
 * request the importer should not have made.
 */
export async function startJiraReplay(options: JiraReplayOptions): Promise<JiraReplay> {
  const requests: ReplayRequest[] = [];
  const unknown: ReplayRequest[] = [];
  const answer = async (incoming: IncomingMessage): Promise<ReplayResponse> => {
    const url = new URL(incoming.url ?? "/", "http://replay");
    const request: ReplayRequest = { method: incoming.method ?? "GET", path: url.pathname, query: url.searchParams, key: requestKey(url.pathname, url.searchParams), authorization: incoming.headers.authorization };
    requests.push(request);
    if (request.path === "/rest/api/2/serverInfo") {
      const info = options.flavor === "cloud" ? { deploymentType: "Cloud", version: "1001.0.0-SNAPSHOT" } : { deploymentType: "Server", version: "8.20.0" };
      return json(200, { baseUrl: "http://replay", ...info });
    }
    if (options.expectedAuthorization !== undefined && request.authorization !== options.expectedAuthorization) {
      return json(401, { errorMessages: ["You are not authenticated. Authentication required to perform this operation."] });
    }
    const routed = await options.route?.(request);
    if (routed) return routed;
    const recorded = options.recorded?.get(request.key);
    if (recorded) return recorded;
    unknown.push(request);
    return json(404, { errorMessages: [`replay: nothing recorded for ${request.key}`] });
  };
  const server: Server = createServer((incoming, outgoing) => {
    answer(incoming).then(
      (response) => {
        outgoing.writeHead(response.status, { "content-type": "application/json", ...response.headers });
        outgoing.end(response.body);
      },
      (error: Error) => {
        outgoing.writeHead(500, { "content-type": "application/json" });
        outgoing.end(JSON.stringify({ errorMessages: [error.message] }));
      },
    );
  });
  await new Promise<void>((resolveListen) => server.listen(options.port ?? 0, "127.0.0.1", resolveListen));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    unknown,
    close: () =>
      new Promise<void>((resolveClose) => {
        server.closeAllConnections();
        server.close(() => resolveClose());
      }),
  };
}

/** A JSON answer. */
export function json(status: number, body: unknown, headers: Record<string, string> = {}): ReplayResponse {
  return { status, body: JSON.stringify(body), headers: { "content-type": "application/json", ...headers } };
}

/** Which kind of Jira each recorded set comes from. */
export const FIXTURE_FLAVORS: Record<string, "cloud" | "server"> = { SP: "cloud", IE: "cloud", DI: "cloud", SBX: "server", IXMC: "server" };

// `node bin/run-ts.mjs functions/jira-import/replay-server.ts <fixture set dir> [port] [cloud|server]`
if (import.meta.url === pathToFileURL(resolve(process.argv[1] ?? "")).href) {
  const dir = resolve(process.argv[2] ?? "");
  if (!existsSync(join(dir, "manifest.log"))) {
    process.stderr.write("usage: node bin/run-ts.mjs functions/jira-import/replay-server.ts <fixture set dir, e.g. test/fixtures/jira/IE> [port]\n");
    process.exit(2);
  }
  const set = dir.split(/[\\/]/).filter(Boolean).pop() ?? "";
  const flavor = process.argv[4] === "server" || process.argv[4] === "cloud" ? process.argv[4] : (FIXTURE_FLAVORS[set] ?? "cloud");
  const replay = await startJiraReplay({ flavor, recorded: loadManifest(dir), port: Number(process.argv[3] ?? 0) || undefined });
  process.stdout.write(`replaying ${set} (Jira ${flavor}) on ${replay.url}; Ctrl-C stops\n`);
  const stop = () => void replay.close().then(() => process.exit(0));
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}
