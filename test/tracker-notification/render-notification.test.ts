import { describe, expect, it } from "vitest";
import { buildMailMessage } from "../../functions/tracker-notification/build-mail-message.ts";
import { renderNotification } from "../../functions/tracker-notification/render-notification.ts";
import { threadHeaders } from "../../functions/tracker-notification/thread-headers.ts";
import { aNotification, parsed } from "./notification-builder.ts";

describe("renderNotification", () => {
  it("builds the subject from tracker, id and title, on one line", () => {
    // Prepare
    const input = aNotification();
    input.artifact.title = "  Crash\r\non   save ";

    // Act
    const { subject } = renderNotification(parsed(input));

    // Assess
    expect(subject).toBe("[bug #42] Crash on save");
  });

  it("keeps a title with markup as text in the HTML part and escapes every payload value", () => {
    // Prepare
    const notification = parsed(aNotification());

    // Act
    const html = renderNotification(notification).html.toString();

    // Assess
    expect(html).not.toContain("<script>");
    expect(html).toContain("Login fails with &lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; more");
    expect(html).toContain("Acme &lt;Web&gt;");
    expect(html).toContain("<strong>Alice &quot;Al&quot; Martin</strong>");
    expect(html).toContain("Bob Durand, Carol &lt;C&gt;");
    // A text comment is text: its tags are shown, not applied.
    expect(html).toContain("Seen on &lt;b&gt;Firefox&lt;/b&gt;\nsecond line");
    expect(html).toContain('<a href="https://tuleap.example.com/plugins/tracker/?aid=42">bug #42</a>');
  });

  it("writes the text part with the changes, the comment and the link", () => {
    // Prepare
    const notification = parsed(aNotification());

    // Act
    const { text } = renderNotification(notification);

    // Assess
    expect(text).toContain(`Alice "Al" Martin updated bug #42: Login fails with <script>alert('x')</script> & more`);
    expect(text).toContain("Acme <Web> · 2025-03-14 09:26 UTC");
    expect(text).toContain("  Status: New → In progress\n");
    expect(text).toContain("  Assigned to: (none) → Bob Durand, Carol <C>\n");
    expect(text).toContain("Comment:\n  Seen on <b>Firefox</b>\n  second line\n");
    expect(text).toContain("\n-- \nhttps://tuleap.example.com/plugins/tracker/?aid=42\n");
  });

  it("shows only the new values of a created artifact", () => {
    // Prepare
    const input = aNotification();
    input.changeset.action = "create";

    // Act
    const rendered = renderNotification(parsed(input));

    // Assess
    expect(rendered.text).toContain("Alice \"Al\" Martin created bug #42");
    expect(rendered.text).toContain("  Status: In progress\n");
    expect(rendered.html.toString()).toContain(">Value</th>");
    expect(rendered.html.toString()).not.toContain(">Before</th>");
  });

  it("renders an HTML comment sanitized in the HTML part and as readable text in the text part", () => {
    // Prepare
    const input = aNotification();
    input.changeset.comment = { format: "html", body: '<p>See <a href="/x?aid=1" onclick="steal()">this</a></p><script>alert(1)</script><img src=x onerror=alert(2)>' };

    // Act
    const rendered = renderNotification(parsed(input));

    // Assess
    const html = rendered.html.toString();
    const commentBox = html.slice(html.indexOf("border-left"), html.indexOf("View bug #42"));
    expect(commentBox).toContain('<p>See <a href="https://tuleap.example.com/x?aid=1">this</a></p>');
    expect(commentBox).not.toMatch(/onclick|onerror|script|<img|alert/);
    expect(rendered.text).toContain("Comment:\n  See this <https://tuleap.example.com/x?aid=1>\n");
  });
});

describe("buildMailMessage", () => {
  it("gives an HTML recipient both parts and a text recipient only text", () => {
    // Prepare
    const notification = parsed(aNotification());
    const rendered = renderNotification(notification);
    const [htmlRecipient, textRecipient] = notification.recipients;

    // Act
    const forHtml = buildMailMessage(notification, rendered, htmlRecipient!);
    const forText = buildMailMessage(notification, rendered, textRecipient!);

    // Assess
    expect(forHtml).toMatchObject({ to: "bob@example.com", toName: "Bob Durand", text: rendered.text, html: rendered.html.toString() });
    expect(forText.html).toBeUndefined();
    expect(forText.toName).toBeUndefined();
    expect(forHtml.headers).toMatchObject({ "Auto-Submitted": "auto-generated" });
  });

  it("threads every mail of an artifact under one id, with a stable Message-ID per changeset and recipient", () => {
    // Prepare
    const first = parsed(aNotification());
    const laterInput = aNotification();
    laterInput.changeset.id = 1002;
    const later = parsed(laterInput);

    // Act
    const bob = threadHeaders(first, "bob@example.com");
    const bobAgain = threadHeaders(first, "BOB@example.com");
    const dave = threadHeaders(first, "dave@example.org");
    const bobLater = threadHeaders(later, "bob@example.com");

    // Assess
    expect(bob.inReplyTo).toBe("<tracker-artifact.42@tuleap.example.com>");
    expect(bob.references).toEqual([bob.inReplyTo]);
    expect(bobLater.inReplyTo).toBe(bob.inReplyTo);
    expect(bob.messageId).toMatch(/^<tracker-artifact\.42\.1001\.[0-9a-f]{20}@tuleap\.example\.com>$/);
    expect(bobAgain.messageId).toBe(bob.messageId);
    expect(new Set([bob.messageId, dave.messageId, bobLater.messageId]).size).toBe(3);
    expect(bob.messageId).not.toContain("bob");
  });
});
