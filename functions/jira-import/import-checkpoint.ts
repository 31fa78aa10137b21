import { z } from "zod";
import type { KeyValueStore } from "../../shared/ports/key-value-store.ts";

const cursorSchema = z.union([z.object({ startAt: z.number().int().min(0) }), z.object({ nextPageToken: z.string().optional() })]);

const checkpointSchema = z.object({
  version: z.literal(1),
  /** Pages written so far; the next page file is `page-<pages>`. */
  pages: z.number().int().min(0),
  /** Where the next page starts; null once the search is exhausted. */
  cursor: cursorSchema.nullable(),
  finished: z.boolean(),
});

/** Progress of one import, saved in Redis after every page. */
export type ImportCheckpoint = z.output<typeof checkpointSchema>;

/** Long enough to outlive every retry and a dead-letter redrive; short enough to clean itself up. */
const CHECKPOINT_TTL_MS = 14 * 24 * 3600_000;

/**
 * The import's progress in the function's key-value store (Redis), keyed by import id (= job id,
 * stable across retries). It is written only after a page's XML is safely on disk, so a worker
 * killed at any point resumes at the first page not known to be written: that page is written
 * again under the same file name, never appended twice.
 */
export const importCheckpoint = {
  /** The saved progress, or a fresh one. An unreadable checkpoint starts over rather than guessing. */
  async load(kv: KeyValueStore, importId: string): Promise<ImportCheckpoint> {
    const text = await kv.get(key(importId));
    if (text !== null) {
      try {
        return checkpointSchema.parse(JSON.parse(text));
      } catch {
        // fall through to a fresh start
      }
    }
    return { version: 1, pages: 0, cursor: null, finished: false };
  },

  /** Saves progress. */
  async save(kv: KeyValueStore, importId: string, checkpoint: ImportCheckpoint): Promise<void> {
    await kv.set(key(importId), JSON.stringify(checkpoint), { ttlMs: CHECKPOINT_TTL_MS });
  },
};

function key(importId: string): string {
  return `import:${importId}:checkpoint`;
}
