// ISO-8859-1 names for U+00A0..U+00FF in code point order: what rich-text editors such as
// CKEditor (Tuleap's) write for accented letters when their `entities` option is on.
const LATIN1 =
  "nbsp iexcl cent pound curren yen brvbar sect uml copy ordf laquo not shy reg macr deg plusmn sup2 sup3 acute micro para middot cedil sup1 ordm raquo frac14 frac12 frac34 iquest " +
  "Agrave Aacute Acirc Atilde Auml Aring AElig Ccedil Egrave Eacute Ecirc Euml Igrave Iacute Icirc Iuml ETH Ntilde Ograve Oacute Ocirc Otilde Ouml times Oslash Ugrave Uacute Ucirc Uuml Yacute THORN szlig " +
  "agrave aacute acirc atilde auml aring aelig ccedil egrave eacute ecirc euml igrave iacute icirc iuml eth ntilde ograve oacute ocirc otilde ouml divide oslash ugrave uacute ucirc uuml yacute thorn yuml";

const NAMED = new Map<string, number>([
  ["amp", 38], ["lt", 60], ["gt", 62], ["quot", 34], ["apos", 39],
  ["euro", 0x20ac], ["hellip", 0x2026], ["mdash", 0x2014], ["ndash", 0x2013], ["lsquo", 0x2018], ["rsquo", 0x2019],
  ["ldquo", 0x201c], ["rdquo", 0x201d], ["bull", 0x2022], ["trade", 0x2122], ["OElig", 0x152], ["oelig", 0x153],
  ...LATIN1.split(" ").map((name, index): [string, number] => [name, 0xa0 + index]),
]);

/**
 * Decodes character references in HTML text: numeric ones (`&#233;`, `&#xE9;`) and the named
 * ones editors actually emit. An unknown name stays as written, which after re-escaping shows
 * the reader `&name;` instead of guessing; invalid code points become U+FFFD as browsers do.
 */
export function decodeHtmlEntities(text: string): string {
  return text.replace(/&(?:#(\d{1,7})|#[xX]([0-9a-fA-F]{1,6})|([A-Za-z][A-Za-z0-9]{1,31}));/g, (whole, decimal: string | undefined, hex: string | undefined, name: string | undefined) => {
    if (name !== undefined) {
      const code = NAMED.get(name);
      return code === undefined ? whole : String.fromCodePoint(code);
    }
    const code = decimal !== undefined ? Number.parseInt(decimal, 10) : Number.parseInt(hex as string, 16);
    const invalid = code === 0 || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff);
    return invalid ? "\uFFFD" : String.fromCodePoint(code);
  });
}
