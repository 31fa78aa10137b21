import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { StreamEvent } from "../../shared/handler/stream-event.ts";

/** What the fake answers to one Invoke call. `hang` never answers (a lost reply). */
export type FakeReply = { status?: number; headers?: Record<string, string>; body?: string } | "hang";

/** One Invoke call the fake received. */
export interface FakeCall {
  functionName: string;
  event: StreamEvent;
}

/** A stand-in for the Lambda Invoke API (the route serverless-offline and AWS serve), for the SDK to talk to. */
export interface FakeLambda {
  endpoint: string;
  calls: FakeCall[];
  close(): Promise<void>;
}

/**
 * Starts an HTTP server on a free loopback port answering `POST /2015-03-31/functions/<name>/invocations`
 * with whatever `reply` returns, so the lambda invoker is tested through the real AWS SDK
 * (signing, error deserialization, `X-Amz-Function-Error`) without AWS.
 */
export async function startFakeLambda(reply: (call: FakeCall) => FakeReply): Promise<FakeLambda> {
  const calls: FakeCall[] = [];
  const hanging = new Set<ServerResponse>();
  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const match = /^\/2015-03-31\/functions\/([^/]+)\/invocations/.exec(request.url ?? "");
      if (!match || request.method !== "POST") {
        response.writeHead(404).end();
        return;
      }
      const call = { functionName: decodeURIComponent(match[1] as string), event: JSON.parse(Buffer.concat(chunks).toString("utf8")) as StreamEvent };
      calls.push(call);
      const answer = reply(call);
      if (answer === "hang") {
        hanging.add(response);
        return;
      }
      response.writeHead(answer.status ?? 200, { "content-type": "application/json", ...answer.headers }).end(answer.body ?? "");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    calls,
    close: () =>
      new Promise<void>((resolve) => {
        for (const response of hanging) response.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A reply of a function that failed the records `ids` (the SQS partial batch response). */
export function partialFailure(ids: string[], extra: Record<string, unknown> = {}): FakeReply {
  return { body: JSON.stringify({ batchItemFailures: ids.map((itemIdentifier) => ({ itemIdentifier, ...extra })) }) };
}
