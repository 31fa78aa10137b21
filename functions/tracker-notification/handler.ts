import { defineJobHandler } from "../../shared/handler/define-job-handler.ts";
import { notifyFollowers } from "./notify-followers.ts";
import { schema } from "./schema.ts";

/**
 * The `tracker-notification` function: after an artifact changed, mails its followers (text and
 * HTML, threaded per artifact) and calls the tracker's signed webhooks, sending on a retry only
 * what an earlier attempt did not deliver.
 */
export const handler = defineJobHandler({
  type: "tracker-notification",
  schema,
  async handle(payload, ctx) {
    await notifyFollowers(payload, ctx);
  },
});
