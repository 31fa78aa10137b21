import { z } from "zod";
import { redisStreamEventSchema } from "../shared/functions/function-definition.ts";

/**
 * The JSON Schema of the `redisStream` event that the serverless plugin hands osls, derived from
 * the zod schema the listener's build reads serverless.yml with, so the two cannot drift apart.
 * Draft-07 because osls validates with Ajv's default draft; `io: "input"` because settings with a
 * default are optional in the file. The `$schema` header goes: osls nests this inside its own
 * schema, where a second `$schema` is an error under Ajv's strict mode.
 */
export function redisStreamEventJsonSchema(): Record<string, unknown> {
  const { $schema: _draft, ...schema } = z.toJSONSchema(redisStreamEventSchema, { target: "draft-7", io: "input" }) as Record<string, unknown>;
  return schema;
}
