import { describe, expect, it } from "vitest";
import { freePort } from "../../shared/embedded/embedded-redis.ts";
import { runCli } from "../helpers/cli.ts";
import { TEST_BUILD_DIR } from "../helpers/test-functions.ts";

describe("publish when Redis cannot store the job", () => {
  it("the CLI exits non-zero with a clear message instead of pretending", async () => {
    const port = await freePort();
    const result = await runCli(["publish", "probe", '{"id":"lost"}'], { REDIS_URL: `redis://:secret-password@127.0.0.1:${port}`, DIST_DIR: TEST_BUILD_DIR });
    expect(result.code).toBe(1);
    expect(result.stdout).toBe("");
    expect(result.stderr).toContain("could not store the probe job in Redis");
    expect(result.stderr).toContain("[STORE_FAILED]");
    expect(result.stderr).not.toContain("secret-password");
  });
});
