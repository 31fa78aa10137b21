import { describe, expect, it } from "vitest";
import { commentHtmlToText } from "../../functions/tracker-notification/comment-html-to-text.ts";
import { decodeHtmlEntities } from "../../functions/tracker-notification/decode-html-entities.ts";
import { html } from "../../functions/tracker-notification/html-template.ts";
import { sanitizeCommentHtml } from "../../functions/tracker-notification/sanitize-comment-html.ts";

const BASE = "https://tuleap.example.com/plugins/tracker/?aid=42";

describe("sanitizeCommentHtml", () => {
  it.each([
    ["script element and its content", "<p>hi</p><script>alert(1)</script>", "<p>hi</p>"],
    ["upper-case script with attributes", '<SCRIPT type="text/javascript">alert(1)</SCRIPT >ok', "ok"],
    ["event handler attributes", '<p onclick="x()" style="color:red">hi</p>', "<p>hi</p>"],
    ["images (tracking pixels)", '<img src="https://t.example/p.gif">text', "text"],
    ["javascript: links", '<a href="javascript:alert(1)">click</a>', "<a>click</a>"],
    ["entity-obfuscated javascript: links", '<a href="&#106;avascript:alert(1)">click</a>', "<a>click</a>"],
    ["a tag split around another", "<scr<script>ipt>alert(1)</script>", "&lt;scr"],
    ["an unclosed script", "before<script>alert(1)", "before"],
    ["comments", "a<!-- <script>x</script> -->b", "ab"],
    ["iframes and styles", "<iframe src=//evil></iframe><style>p{}</style>x", "x"],
    ["a quoted > inside an attribute", '<p title="a>b">t</p>', "<p>t</p>"],
  ])("removes %s", (_name, source, expected) => {
    // Act
    const result = sanitizeCommentHtml(source, BASE).toString();

    // Assess
    expect(result).toBe(expected);
  });

  it("keeps formatting, resolves relative links, closes what is left open and ignores stray closers", () => {
    // Prepare
    const source = '<p>Use <strong>this</strong> <a href="/doc?a=1&amp;b=2">doc</a></div><ul><li>one<li>two</ul><em>open';

    // Act
    const result = sanitizeCommentHtml(source, BASE).toString();

    // Assess
    expect(result).toBe('<p>Use <strong>this</strong> <a href="https://tuleap.example.com/doc?a=1&amp;b=2">doc</a><ul><li>one<li>two</li></li></ul><em>open</em></p>');
  });

  it("escapes text and keeps characters written as entities", () => {
    // Act
    const result = sanitizeCommentHtml("caf&eacute; 1 &lt; 2 &amp;&amp; 3 > 2 &bogus; &#x1F600;").toString();

    // Assess
    expect(result).toBe("café 1 &lt; 2 &amp;&amp; 3 &gt; 2 &amp;bogus; 😀");
  });
});

describe("commentHtmlToText", () => {
  it("renders paragraphs, lists, line breaks, links and tables as plain text", () => {
    // Prepare
    const source = '<p>First   paragraph<br>next line</p><ol><li>one</li><li><a href="https://x.example/a">two</a></li></ol><table><tr><td>a</td><td>b</td></tr></table><pre>  code\n    indented</pre>';

    // Act
    const text = commentHtmlToText(source, BASE);

    // Assess
    expect(text).toBe("First paragraph\nnext line\n\n1. one\n2. two <https://x.example/a>\n\na | b\n\n  code\n    indented");
  });

  it("drops script content and does not repeat a link whose text is its URL", () => {
    // Act
    const text = commentHtmlToText('<script>x()</script><a href="https://x.example/">https://x.example/</a>');

    // Assess
    expect(text).toBe("https://x.example/");
  });
});

describe("decodeHtmlEntities and the html template", () => {
  it("maps Latin-1 names to their code points", () => {
    // Act + Assess
    expect(decodeHtmlEntities("&nbsp;&Agrave;&eacute;&yuml;&euro;")).toBe("\u00a0\u00c0\u00e9\u00ff\u20ac");
    expect(decodeHtmlEntities("&#0;&#xD800;&#1114112;")).toBe("\uFFFD\uFFFD\uFFFD");
  });

  it("escapes interpolations unless they are already safe HTML", () => {
    // Prepare
    const inner = html`<b>${"<i>"}</b>`;

    // Act
    const result = html`<p title="${`"quoted" & 'single'`}">${inner}${["<a>", null, false, 1]}</p>`.toString();

    // Assess
    expect(result).toBe('<p title="&quot;quoted&quot; &amp; &#39;single&#39;"><b>&lt;i&gt;</b>&lt;a&gt;1</p>');
  });
});
