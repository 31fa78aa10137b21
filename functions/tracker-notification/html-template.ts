/**
 * A piece of HTML that is already safe to embed: built only by {@link html} (whose interpolations
 * are escaped) or by code that constructs every tag itself, such as the comment sanitizer.
 * Rendering code never concatenates strings into HTML, so nothing from a payload can slip through
 * unescaped.
 */
export class SafeHtml {
  readonly #text: string;

  constructor(text: string) {
    this.#text = text;
  }

  /** The HTML text. */
  toString(): string {
    return this.#text;
  }
}

const ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

/** Escapes text for HTML content and quoted attribute values (both quote kinds). */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => ESCAPES[char] as string);
}

type Interpolation = SafeHtml | string | number | null | undefined | false | readonly Interpolation[];

function render(value: Interpolation): string {
  if (value === null || value === undefined || value === false) return "";
  if (value instanceof SafeHtml) return value.toString();
  if (Array.isArray(value)) return value.map(render).join("");
  return escapeHtml(String(value));
}

/**
 * Tagged template that escapes every interpolated value unless it is {@link SafeHtml}; arrays are
 * joined and `null`, `undefined` and `false` render nothing, so conditionals and lists read
 * naturally: html`<ul>${items.map((i) => html`<li>${i}</li>`)}</ul>`.
 */
export function html(strings: TemplateStringsArray, ...values: Interpolation[]): SafeHtml {
  let out = strings[0] ?? "";
  for (const [index, value] of values.entries()) out += render(value) + (strings[index + 1] ?? "");
  return new SafeHtml(out);
}
