import { commentHtmlToText } from "./comment-html-to-text.ts";
import { html, type SafeHtml } from "./html-template.ts";
import { sanitizeCommentHtml } from "./sanitize-comment-html.ts";
import type { FieldChange, TrackerNotification } from "./schema.ts";

/** The parts of the mail that are the same for every recipient; rendered once per job. */
export interface RenderedNotification {
  subject: string;
  text: string;
  html: SafeHtml;
}

const NONE = "(none)";
const MUTED = "color:#59636e;font-size:12px";

/**
 * Renders the notification of one changeset: the subject `[<tracker> #<id>] <title>`, a plain-text
 * body and an HTML body. Every value from the payload reaches the HTML through the escaping
 * {@link html} template, and an HTML comment only through the sanitizer, so a title such as
 * `<script>` shows as text. Times are shown in UTC: the payload carries no recipient time zone.
 */
export function renderNotification(notification: TrackerNotification): RenderedNotification {
  const { artifact, changeset } = notification;
  const reference = `${artifact.tracker.name} #${artifact.id}`;
  const title = oneLine(artifact.title);
  const verb = changeset.action === "create" ? "created" : "updated";
  const when = formatUtc(changeset.submittedAt);
  const subject = title ? `[${reference}] ${title}` : `[${reference}]`;
  return {
    subject,
    text: renderText(notification, { reference, title, verb, when }),
    html: renderHtml(notification, { reference, title, verb, when, subject }),
  };
}

interface Words {
  reference: string;
  title: string;
  verb: string;
  when: string;
}

function renderText(notification: TrackerNotification, words: Words): string {
  const { artifact, changeset } = notification;
  const lines = [`${changeset.author.name} ${words.verb} ${words.reference}${words.title ? `: ${words.title}` : ""}`, `${artifact.project.name} · ${words.when}`];
  if (changeset.fieldChanges.length > 0) {
    lines.push("", "Changes:");
    for (const change of changeset.fieldChanges) lines.push(indent(`${change.label}: ${describeChange(change, changeset.action)}`, "  ", "    "));
  }
  const comment = changeset.comment?.body.trim() ? changeset.comment : undefined;
  if (comment) {
    const body = comment.format === "html" ? commentHtmlToText(comment.body, artifact.url) : comment.body.trim();
    lines.push("", "Comment:", indent(body, "  ", "  "));
  }
  lines.push("", "-- ", artifact.url, `You receive this mail because you follow ${words.reference} in ${artifact.project.name}.`);
  return lines.join("\n") + "\n";
}

function renderHtml(notification: TrackerNotification, words: Words & { subject: string }): SafeHtml {
  const { artifact, changeset } = notification;
  const comment = changeset.comment?.body.trim() ? changeset.comment : undefined;
  const created = changeset.action === "create";
  const cell = "padding:4px 8px;border:1px solid #d0d7de;text-align:left;vertical-align:top;white-space:pre-wrap";
  const rows = changeset.fieldChanges.map(
    (change) => html`<tr><th style="${cell}">${change.label}</th>${created ? "" : html`<td style="${cell}">${formatValue(change.old)}</td>`}<td style="${cell}">${formatValue(change.new)}</td></tr>`,
  );
  return html`<!DOCTYPE html>
<html>
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>${words.subject}</title></head>
<body style="margin:0;padding:16px;font-family:-apple-system,'Segoe UI',Helvetica,Arial,sans-serif;font-size:14px;color:#1f2328">
<p style="margin:0 0 4px"><strong>${changeset.author.name}</strong> ${words.verb} <a href="${artifact.url}">${words.reference}</a>${words.title ? html`: ${words.title}` : ""}</p>
<p style="margin:0 0 16px;${MUTED}">${artifact.project.name} · <time datetime="${changeset.submittedAt}">${words.when}</time></p>
${rows.length > 0 ? html`<table style="border-collapse:collapse;margin:0 0 16px">
<thead><tr><th style="${cell}">Field</th>${created ? html`<th style="${cell}">Value</th>` : html`<th style="${cell}">Before</th><th style="${cell}">After</th>`}</tr></thead>
<tbody>${rows}</tbody>
</table>` : ""}
${comment ? html`<div style="margin:0 0 16px;padding:4px 12px;border-left:3px solid #d0d7de">${comment.format === "html" ? sanitizeCommentHtml(comment.body, artifact.url) : html`<div style="white-space:pre-wrap">${comment.body.trim()}</div>`}</div>` : ""}
<p style="margin:0 0 4px"><a href="${artifact.url}">View ${words.reference}</a></p>
<p style="margin:0;${MUTED}">You receive this mail because you follow ${words.reference} in ${artifact.project.name}.</p>
</body>
</html>
`;
}

function describeChange(change: FieldChange, action: "create" | "update"): string {
  if (action === "create") return formatValue(change.new);
  return `${formatValue(change.old)} → ${formatValue(change.new)}`;
}

function formatValue(value: FieldChange["new"]): string {
  const text = Array.isArray(value) ? value.join(", ") : (value ?? "");
  return text.trim() === "" ? NONE : text.trim();
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, " ").trim();
}

function indent(text: string, first: string, rest: string): string {
  return text
    .split(/\r?\n/)
    .map((line, index) => (line === "" ? "" : (index === 0 ? first : rest) + line))
    .join("\n");
}

function formatUtc(iso: string): string {
  return `${new Date(iso).toISOString().slice(0, 16).replace("T", " ")} UTC`;
}
