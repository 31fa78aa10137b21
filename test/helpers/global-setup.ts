import type { TestProject } from "vitest/node";
import { buildTestFunctions } from "./test-functions.ts";
import { startRedisServer } from "./redis-server.ts";

declare module "vitest" {
  export interface ProvidedContext {
    /** A private Redis for tests that do not stop or restart it; isolate with a key prefix. */
    redisUrl: string;
  }
}

/** Starts the shared private Redis of the run and builds the test functions once. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const [redis] = await Promise.all([startRedisServer({ password: "test-password-for-the-shared-redis" }), buildTestFunctions()]);
  project.provide("redisUrl", redis.url);
  return () => redis.stop();
}
