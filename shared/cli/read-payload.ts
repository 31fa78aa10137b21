import { readFile } from "node:fs/promises";
import { BackendWorkersError } from "../errors.ts";

/** Reads a CLI payload argument: inline JSON, `@file`, or `-` for stdin. */
export async function readPayloadArgument(argument: string): Promise<unknown> {
  let text: string;
  let source: string;
  if (argument === "-") {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    text = Buffer.concat(chunks).toString("utf8");
    source = "stdin";
  } else if (argument.startsWith("@")) {
    source = argument.slice(1);
    try {
      text = await readFile(source, "utf8");
    } catch (error) {
      throw new BackendWorkersError("BAD_ARGUMENT", `cannot read ${source}: ${(error as Error).message}`, { retryable: false });
    }
  } else {
    text = argument;
    source = "the argument";
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new BackendWorkersError("BAD_ARGUMENT", `${source} is not valid JSON: ${(error as Error).message}`, { retryable: false });
  }
}
