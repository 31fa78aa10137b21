import { schema, type TrackerNotification } from "../../functions/tracker-notification/schema.ts";

/** A payload as a publisher would send it (before defaults); tests spread their changes over it. */
export type NotificationInput = {
  artifact: Record<string, unknown>;
  changeset: Record<string, unknown>;
  recipients: Record<string, unknown>[];
  webhooks: Record<string, unknown>[];
};

/** A valid `tracker-notification` payload with one HTML and one text recipient and no webhook. */
export function aNotification(overrides: Partial<NotificationInput> = {}): NotificationInput {
  return {
    artifact: {
      id: 42,
      title: "Login fails with <script>alert('x')</script> & more",
      url: "https://tuleap.example.com/plugins/tracker/?aid=42",
      tracker: { id: 7, name: "bug" },
      project: { id: 3, name: "Acme <Web>" },
    },
    changeset: {
      id: 1001,
      action: "update",
      author: { name: "Alice \"Al\" Martin", email: "alice@example.com" },
      submittedAt: "2025-03-14T09:26:41Z",
      fieldChanges: [
        { label: "Status", old: "New", new: "In progress" },
        { label: "Assigned to", old: null, new: ["Bob Durand", "Carol <C>"] },
      ],
      comment: { format: "text", body: "Seen on <b>Firefox</b>\nsecond line" },
    },
    recipients: [
      { address: "bob@example.com", name: "Bob Durand", format: "html" },
      { address: "dave@example.org", format: "text" },
    ],
    webhooks: [],
    ...overrides,
  };
}

/** `count` HTML recipients `user<i>@example.com`. */
export function manyRecipients(count: number): Record<string, unknown>[] {
  return Array.from({ length: count }, (_, i) => ({ address: `user${i}@example.com`, name: `User ${i}`, format: "html" }));
}

/** Validates an input the way the function does, so unit tests get the defaults applied. */
export function parsed(input: NotificationInput): TrackerNotification {
  return schema.parse(input);
}
