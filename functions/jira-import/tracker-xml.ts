import type { Container, TrackerField, TrackerStructure } from "./tracker-structure.ts";
import { xml } from "./xml-text.ts";

/** Name, item name, description and colour of the tracker to create. */
export interface TrackerIdentity {
  name: string;
  shortName: string;
  description: string;
  color: string;
}

const CONTAINERS: { id: Container | "details"; name: string; label: string; columns?: Container[] }[] = [
  { id: "details", name: "details_fieldset", label: "Details", columns: ["left", "right"] },
  { id: "custom", name: "custom_fieldset", label: "Custom Fields" },
  { id: "attachment", name: "attachment_fieldset", label: "Attachments" },
  { id: "links", name: "links_fieldset", label: "Links" },
];

/**
 * The tracker XML up to and including `<artifacts>`: the form (fieldsets, columns, fields and
 * their values), the semantics (title, description, status, done, contributor), the default
 * reports and the field permissions. Artifacts are appended page by page after it.
 */
export function trackerHeaderXml(structure: TrackerStructure, identity: TrackerIdentity): string {
  const out: string[] = ['<?xml version="1.0" encoding="UTF-8"?>\n<tracker id="T1" parent_id="0">\n'];
  out.push(`  <name>${xml.cdata(identity.name)}</name>\n  <item_name>${xml.cdata(identity.shortName)}</item_name>\n`);
  out.push(`  <description>${xml.cdata(identity.description || identity.name)}</description>\n  <color>${xml.cdata(identity.color)}</color>\n`);
  out.push("  <cannedResponses/>\n  <formElements>\n");
  let rank = 1;
  for (const container of CONTAINERS) {
    out.push(`    <formElement type="fieldset" ID="C_${container.name}" rank="${rank++}">\n      <name>${xml.cdata(container.name)}</name>\n      <label>${xml.cdata(container.label)}</label>\n      <formElements>\n`);
    if (container.columns) {
      container.columns.forEach((column, index) => {
        out.push(`        <formElement type="column" ID="C_${column}_column" rank="${index + 1}">\n          <name>${xml.cdata(`${column}_column`)}</name>\n          <label>${xml.cdata(`${column}_column`)}</label>\n          <formElements>\n`);
        for (const field of fieldsIn(structure, column)) out.push(fieldXml(field, "            "));
        out.push("          </formElements>\n        </formElement>\n");
      });
    } else {
      for (const field of fieldsIn(structure, container.id as Container)) out.push(fieldXml(field, "        "));
    }
    out.push("      </formElements>\n    </formElement>\n");
  }
  out.push("  </formElements>\n");
  out.push(semanticsXml(structure));
  out.push(reportsXml(structure));
  out.push("  <permissions>\n");
  for (const field of structure.fields) {
    for (const [ugroup, type] of [["UGROUP_ANONYMOUS", "PLUGIN_TRACKER_FIELD_READ"], ["UGROUP_REGISTERED", "PLUGIN_TRACKER_FIELD_SUBMIT"], ["UGROUP_PROJECT_MEMBERS", "PLUGIN_TRACKER_FIELD_UPDATE"]]) {
      out.push(`    <permission scope="field" REF="${field.ref}" ugroup="${ugroup}" type="${type}"/>\n`);
    }
  }
  out.push("  </permissions>\n  <artifacts>\n");
  return out.join("");
}

/** What closes the document after the last artifact. */
export const TRACKER_FOOTER_XML = "  </artifacts>\n</tracker>\n";

function fieldsIn(structure: TrackerStructure, container: Container): TrackerField[] {
  return structure.fields.filter((field) => field.container === container);
}

function fieldXml(field: TrackerField, indent: string): string {
  const required = field.required ? ' required="1"' : "";
  const lines = [`${indent}<formElement type="${field.kind}" ID="${field.ref}" rank="${field.rank}"${required}>`, `${indent}  <name>${xml.cdata(field.name)}</name>`, `${indent}  <label>${xml.cdata(field.label)}</label>`];
  if (field.kind === "text") lines.push(`${indent}  <properties rows="10" cols="50"/>`);
  if (field.kind === "date" && field.dateTime) lines.push(`${indent}  <properties display_time="1"/>`);
  if (field.bind === "users") {
    lines.push(`${indent}  <bind type="users">`, `${indent}    <items>`, `${indent}      <item label="group_members"/>`, `${indent}    </items>`, `${indent}  </bind>`);
  } else if (field.bind === "static") {
    if (field.values?.length) {
      lines.push(`${indent}  <bind type="static" is_rank_alpha="0">`, `${indent}    <items>`);
      for (const value of field.values) lines.push(`${indent}      <item ID="V${value.ref}" label="${xml.escape(value.label)}"/>`);
      lines.push(`${indent}    </items>`, `${indent}  </bind>`);
    } else lines.push(`${indent}  <bind type="static" is_rank_alpha="0"/>`);
  }
  lines.push(`${indent}</formElement>`);
  return lines.join("\n") + "\n";
}

function semanticsXml(structure: TrackerStructure): string {
  const byName = (name: string) => structure.fields.find((field) => field.name === name);
  const status = byName("status");
  const out = ["  <semantics>\n"];
  const simple = (type: string, label: string, field: TrackerField | undefined) => {
    if (field) out.push(`    <semantic type="${type}">\n      <shortname>${type}</shortname>\n      <label>${label}</label>\n      <description>Define the ${type} of an artifact</description>\n      <field REF="${field.ref}"/>\n    </semantic>\n`);
  };
  simple("title", "Title", byName("summary"));
  simple("description", "Description", byName("description"));
  if (status) {
    const done = new Set(structure.doneStatusRefs);
    const open = (status.values ?? []).filter((value) => !done.has(value.ref));
    out.push(`    <semantic type="status">\n      <shortname>status</shortname>\n      <label>Status</label>\n      <description>Define the status of an artifact</description>\n      <field REF="${status.ref}"/>\n      <open_values>\n`);
    for (const value of open) out.push(`        <open_value REF="V${value.ref}"/>\n`);
    out.push("      </open_values>\n    </semantic>\n");
    out.push(`    <semantic type="done">\n      <shortname>done</shortname>\n      <label>Done</label>\n      <description>Define the closed status that are considered Done</description>\n      <closed_values>\n`);
    for (const ref of structure.doneStatusRefs) out.push(`        <closed_value REF="V${ref}"/>\n`);
    out.push("      </closed_values>\n    </semantic>\n");
  }
  const assignee = structure.fields.find((field) => field.jiraId === "assignee");
  if (assignee) out.push(`    <semantic type="contributor">\n      <shortname>contributor</shortname>\n      <label>Contributor/assignee</label>\n      <description>Define the contributor/assignee of an artifact</description>\n      <field REF="${assignee.ref}"/>\n    </semantic>\n`);
  out.push("  </semantics>\n");
  return out.join("");
}

function reportsXml(structure: TrackerStructure): string {
  const shown = ["summary", "status", "jira_issue_url", "priority"].flatMap((name) => structure.fields.filter((field) => field.name === name));
  const criteria = ["summary", "description", "status", "priority"].flatMap((name) => structure.fields.filter((field) => field.name === name));
  const out = ['  <reports>\n    <report is_default="1">\n      <name>All issues</name>\n      <description>All the issues in this tracker</description>\n      <criterias>\n'];
  criteria.forEach((field, index) => out.push(`        <criteria rank="${index + 1}">\n          <field REF="${field.ref}"/>\n        </criteria>\n`));
  out.push('      </criterias>\n      <renderers>\n        <renderer rank="0" type="table" chunksz="15">\n          <name>Results</name>\n          <columns>\n');
  for (const field of shown) out.push(`            <field REF="${field.ref}"/>\n`);
  out.push("          </columns>\n        </renderer>\n      </renderers>\n    </report>\n  </reports>\n");
  return out.join("");
}
