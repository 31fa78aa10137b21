/**
 * Runs `task` for every item with at most `limit` running at once, and resolves when all that
 * started have finished. Once `signal` aborts no new task starts (the job timed out; in-flight
 * SMTP commands cannot be cancelled, so they are awaited rather than abandoned half-settled).
 * A task that throws does not stop the others; the first error is rethrown at the end.
 */
export async function forEachLimited<T>(items: readonly T[], limit: number, signal: AbortSignal | undefined, task: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let firstError: { error: unknown } | undefined;
  const lane = async (): Promise<void> => {
    while (next < items.length && !signal?.aborted) {
      const item = items[next++] as T;
      try {
        await task(item);
      } catch (error) {
        firstError ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, lane));
  if (firstError) throw firstError.error;
}
