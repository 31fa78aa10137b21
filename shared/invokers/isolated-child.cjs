// The child process of the `isolated` invoker: plain CommonJS so it starts without a TypeScript
// loader. It loads one function bundle and runs the batches the parent sends over IPC. The
// bundle wires its own ports from the environment the parent passed (REDIS_URL, SMTP_URL, ...).
"use strict";

const { loadBundle } = require("../functions/load-bundle.cjs");

const bundle = process.argv[2];
let handler;
try {
  handler = loadBundle(bundle).handler;
  if (typeof handler !== "function") throw new Error(`${bundle} does not export a "handler" function`);
} catch (error) {
  process.send({ type: "fatal", message: error.message });
  process.exit(1);
}

// The parent is gone (killed with SIGKILL, crashed): its IPC channel closes. Die with it, or this
// child would go on running a job that a restarted worker is about to run again.
process.on("disconnect", () => process.exit(1));

process.on("message", async (message) => {
  if (!message || message.type !== "invoke") return;
  const deadline = Date.now() + message.timeoutMs * Math.max(1, message.event.Records.length);
  try {
    const result = await handler(message.event, {
      functionName: message.functionName,
      awsRequestId: message.id,
      recordTimeoutMs: message.timeoutMs,
      getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    });
    process.send({ type: "result", id: message.id, result });
  } catch (error) {
    process.send({ type: "error", id: message.id, code: typeof error?.code === "string" ? error.code : "HANDLER_ERROR", message: String(error?.message ?? error) });
  }
});
process.send({ type: "ready" });
