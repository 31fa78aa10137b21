import type { ArtifactRecord, FieldChange } from "./field-value.ts";
import { xml } from "./xml-text.ts";

/**
 * Writes one artifact as tracker XML (`<artifact>` with its changesets and files), in the forms
 * tracker.rng accepts and Tuleap's importer reads: list values by reference, users by user
 * name, rich text as HTML when Jira rendered it.
 */
export function artifactXml(artifact: ArtifactRecord): string {
  const out: string[] = [`    <artifact id="${xml.escape(artifact.id)}">\n`];
  for (const changeset of artifact.changesets) {
    out.push("      <changeset>\n");
    out.push(`        <submitted_by format="username">${xml.cdata(changeset.by)}</submitted_by>\n`);
    out.push(`        <submitted_on format="ISO8601">${xml.cdata(changeset.on)}</submitted_on>\n`);
    if (changeset.comments.length === 0) out.push("        <comments/>\n");
    else {
      out.push("        <comments>\n");
      for (const comment of changeset.comments) {
        out.push("          <comment>\n");
        out.push(`            <submitted_by format="username">${xml.cdata(comment.by)}</submitted_by>\n`);
        out.push(`            <submitted_on format="ISO8601">${xml.cdata(comment.on)}</submitted_on>\n`);
        out.push(`            <body format="${comment.format}">${xml.cdata(comment.body)}</body>\n`);
        out.push("          </comment>\n");
      }
      out.push("        </comments>\n");
    }
    for (const change of changeset.changes.values()) out.push(fieldChangeXml(change));
    out.push("      </changeset>\n");
  }
  for (const file of artifact.files) {
    out.push(`      <file id="fileinfo_${xml.escape(file.id)}">\n`);
    out.push(`        <filename>${xml.cdata(file.filename)}</filename>\n`);
    // Attachment contents are not downloaded (metadata only); this is where they belong in the archive.
    out.push(`        <path>${xml.cdata(`data/${file.id}`)}</path>\n`);
    out.push(`        <filesize>${file.size}</filesize>\n`);
    out.push(`        <filetype>${xml.escape(file.mimeType)}</filetype>\n`);
    out.push("        <description/>\n");
    out.push("      </file>\n");
  }
  out.push("    </artifact>\n");
  return out.join("");
}

function fieldChangeXml({ field, value }: FieldChange): string {
  const name = xml.escape(field.name);
  const wrap = (attributes: string, values: string[]) =>
    values.length === 0 ? `        <field_change ${attributes}/>\n` : `        <field_change ${attributes}>\n${values.map((v) => `          ${v}\n`).join("")}        </field_change>\n`;
  switch (value.kind) {
    case "string":
    case "float":
      return wrap(`type="${value.kind}" field_name="${name}"`, [`<value>${xml.cdata(value.value)}</value>`]);
    case "text":
      return wrap(`type="text" field_name="${name}"`, [`<value format="${value.format}">${xml.cdata(value.value)}</value>`]);
    case "date":
      return wrap(`type="date" field_name="${name}"`, [`<value format="ISO8601">${xml.cdata(value.value)}</value>`]);
    case "list":
      return wrap(`field_name="${name}" type="list" bind="static"`, value.refs.length ? value.refs.map((ref) => `<value format="id">${xml.cdata(ref)}</value>`) : ["<value/>"]);
    case "users":
      return wrap(`field_name="${name}" type="list" bind="users"`, value.names.length ? value.names.map((n) => `<value format="username">${xml.cdata(n)}</value>`) : ["<value/>"]);
    case "open":
      return wrap(`field_name="${name}" type="open_list" bind="static"`, value.labels.length ? value.labels.map((label) => `<value>${xml.cdata(label)}</value>`) : ["<value/>"]);
    case "files":
      return wrap(`type="file" field_name="${name}"`, value.ids.map((id) => `<value ref="fileinfo_${xml.escape(id)}"/>`));
    case "links":
      return wrap(`type="art_link" field_name="${name}"`, value.ids.map((id) => `<value>${xml.cdata(id)}</value>`));
  }
}
