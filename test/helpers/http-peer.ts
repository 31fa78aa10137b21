import { createServer, type IncomingHttpHeaders, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/** One request the peer received, body read in full. */
export interface ReceivedRequest {
  method: string;
  /** Path and query. */
  url: string;
  headers: IncomingHttpHeaders;
  /** The raw bytes, as a signature is computed over them. */
  body: Buffer;
}

/** How the peer answers a request: a status (and optional body), or "hang" to never answer. */
export type HttpPeerReply = { status: number; body?: string } | "hang";

/** A real HTTP server on 127.0.0.1 that records every request. */
export interface HttpPeer {
  /** `http://127.0.0.1:<port>`; append any path. */
  url: string;
  readonly requests: ReceivedRequest[];
  close(): Promise<void>;
}

/**
 * Starts an HTTP server for webhook tests. `respond` decides each reply from the request and its
 * 1-based index (default: 204), so "down the first time" or "too slow once" is one line. A hung
 * request is cut when the peer closes, so no test waits for a socket that never ends.
 */
export async function startHttpPeer(respond: (request: ReceivedRequest, index: number) => HttpPeerReply = () => ({ status: 204 })): Promise<HttpPeer> {
  const requests: ReceivedRequest[] = [];
  const hung = new Set<ServerResponse>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const request: ReceivedRequest = { method: req.method ?? "", url: req.url ?? "", headers: req.headers, body: Buffer.concat(chunks) };
      requests.push(request);
      const reply = respond(request, requests.length);
      if (reply === "hang") {
        hung.add(res);
        return;
      }
      res.writeHead(reply.status, { "content-type": "text/plain" }).end(reply.body ?? "");
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        for (const res of hung) res.destroy();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
