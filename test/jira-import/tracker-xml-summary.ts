import { DOMParser, type Element } from "@xmldom/xmldom";

/** The facts the tests compare between two tracker XML documents, per artifact. */
export interface ArtifactSummary {
  changesets: number;
  comments: number;
  /** Value of each field after replaying every changeset: list values as labels, users as names. */
  final: Record<string, string>;
}

/**
 * Reads a tracker XML into per-artifact facts: changeset count and the final value of every
 * field (the last field_change wins), with static list references turned into item labels so
 * two documents with different ID schemes compare.
 */
export function summarizeTrackerXml(text: string): Map<string, ArtifactSummary> {
  const doc = new DOMParser().parseFromString(text, "text/xml");
  const labels = new Map<string, string>();
  for (const item of elements(doc.documentElement!, "item")) {
    const id = item.getAttribute("ID");
    if (id) labels.set(id, item.getAttribute("label") ?? "");
  }
  const artifacts = new Map<string, ArtifactSummary>();
  for (const artifact of elements(doc.documentElement!, "artifact")) {
    const summary: ArtifactSummary = { changesets: 0, comments: 0, final: {} };
    for (const changeset of children(artifact, "changeset")) {
      summary.changesets++;
      summary.comments += elements(changeset, "comment").length;
      for (const change of children(changeset, "field_change")) {
        const values = children(change, "value").map((value) => {
          const text = value.textContent ?? "";
          if (change.getAttribute("type") === "list" && change.getAttribute("bind") === "static" && value.getAttribute("format") === "id") return labels.get(`V${text}`) ?? `?${text}`;
          if (change.getAttribute("type") === "text") return `${value.getAttribute("format")}:${text}`;
          return value.getAttribute("ref") ?? text;
        });
        summary.final[change.getAttribute("field_name") ?? "?"] = values.filter((v) => v !== "").join("|");
      }
    }
    artifacts.set(artifact.getAttribute("id") ?? "?", summary);
  }
  return artifacts;
}

function elements(root: Element, name: string): Element[] {
  return Array.from(root.getElementsByTagName(name));
}

function children(root: Element, name: string): Element[] {
  return Array.from(root.childNodes).filter((node): node is Element => node.nodeType === 1 && (node as Element).tagName === name);
}
