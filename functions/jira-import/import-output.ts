import { createReadStream, createWriteStream } from "node:fs";
import { mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { once } from "node:events";
import type { TrackerStructure } from "./tracker-structure.ts";

/** What the assembled tracker XML holds. */
export interface ImportStats {
  artifacts: number;
  changesets: number;
  comments: number;
  /** Issues seen on more than one page (the search shifted while it was read) and kept once. */
  duplicatesSkipped: number;
}

/** One converted issue as a page file stores it. */
export interface PageArtifact {
  id: string;
  changesets: number;
  comments: number;
  xml: string;
}

/**
 * The files of one import under `IMPORT_DIR/<import id>/`: the structure, one XML part per page
 * of issues, and finally `tracker.xml`. Every file is written to a temporary name and renamed, so
 * a killed worker leaves either the old file or the new one, never half of one.
 */
export class ImportOutput {
  readonly dir: string;

  constructor(importDir: string, importId: string) {
    this.dir = join(importDir, importId);
  }

  /** The final document. */
  get trackerFile(): string {
    return join(this.dir, "tracker.xml");
  }

  /** The structure saved by an earlier attempt, if any. */
  async readStructure(): Promise<TrackerStructure | undefined> {
    try {
      return JSON.parse(await readFile(join(this.dir, "structure.json"), "utf8")) as TrackerStructure;
    } catch {
      return undefined;
    }
  }

  async writeStructure(structure: TrackerStructure): Promise<void> {
    await this.#atomicWrite("structure.json", JSON.stringify(structure));
  }

  /**
   * Writes (or rewrites, after a crash) the artifacts of page `index`: one JSON line per
   * artifact with its id, counts and XML, so assembling needs no XML parsing and no text inside
   * an issue can be mistaken for a boundary.
   */
  async writePage(index: number, artifacts: PageArtifact[]): Promise<void> {
    await this.#atomicWrite(join("pages", pageName(index)), artifacts.map((artifact) => JSON.stringify(artifact) + "\n").join(""));
  }

  /**
   * Streams header, pages 0..pages-1 and footer into tracker.xml, keeping the first occurrence of
   * each artifact id (offset paging can return an issue twice when issues move during the
   * search). Memory holds the ids and one artifact at a time, never the whole project.
   */
  async assemble(header: string, footer: string, pages: number): Promise<ImportStats> {
    const stats: ImportStats = { artifacts: 0, changesets: 0, comments: 0, duplicatesSkipped: 0 };
    const seen = new Set<string>();
    const temporary = `${this.trackerFile}.tmp`;
    const out = createWriteStream(temporary, { encoding: "utf8" });
    const write = async (text: string) => {
      if (!out.write(text)) await once(out, "drain");
    };
    await write(header);
    for (let index = 0; index < pages; index++) {
      const lines = createInterface({ input: createReadStream(join(this.dir, "pages", pageName(index)), "utf8"), crlfDelay: Infinity });
      for await (const line of lines) {
        if (line === "") continue;
        const artifact = JSON.parse(line) as PageArtifact;
        if (seen.has(artifact.id)) {
          stats.duplicatesSkipped++;
          continue;
        }
        seen.add(artifact.id);
        stats.artifacts++;
        stats.changesets += artifact.changesets;
        stats.comments += artifact.comments;
        await write(artifact.xml);
      }
    }
    await write(footer);
    out.end();
    await once(out, "finish");
    await rename(temporary, this.trackerFile);
    return stats;
  }

  /** Removes the page parts once tracker.xml holds them. */
  async removeParts(): Promise<void> {
    await rm(join(this.dir, "pages"), { recursive: true, force: true });
  }

  async #atomicWrite(relative: string, text: string): Promise<void> {
    const file = join(this.dir, relative);
    await mkdir(join(file, ".."), { recursive: true });
    await writeFile(`${file}.tmp`, text, "utf8");
    await rename(`${file}.tmp`, file);
  }
}

function pageName(index: number): string {
  return `page-${String(index).padStart(6, "0")}.xml`;
}
