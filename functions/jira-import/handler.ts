import { defineJobHandler } from "../../shared/handler/define-job-handler.ts";
import { runImport } from "./run-import.ts";
import { storedSchema } from "./schema.ts";

/**
 * The `jira-import` function: imports a Jira project into a Tuleap tracker XML under
 * `IMPORT_DIR/<job id>/tracker.xml` and emails the requester the outcome. It validates the stored
 * payload (credentials replaced by a reference by the publish hook of schema.ts).
 */
export const handler = defineJobHandler({ type: "jira-import", schema: storedSchema, handle: runImport });
