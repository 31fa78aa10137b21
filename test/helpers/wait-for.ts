/**
 * Waits until `check` returns a truthy value, polling every `intervalMs`, and fails with `message`
 * and the last value seen at the deadline. Tests wait on conditions, never on fixed sleeps.
 */
export async function waitFor<T>(check: () => T | Promise<T>, options: { timeoutMs?: number; intervalMs?: number; message?: string } = {}): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 20_000);
  let last: T | undefined;
  let lastError: unknown;
  for (;;) {
    try {
      last = await check();
      if (last) return last;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      throw new Error(`${options.message ?? "condition not met"} (last value: ${JSON.stringify(last)}${lastError ? `, last error: ${(lastError as Error).message}` : ""})`);
    }
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 25));
  }
}
