import type { z } from "zod";

/** One line naming each invalid path and what is wrong with it, for errors and dead letters. */
export function summarizeIssues(error: z.ZodError, limit = 10): string {
  const lines = error.issues.slice(0, limit).map((issue) => `${issue.path.length ? issue.path.join(".") : "(root)"}: ${issue.message}`);
  if (error.issues.length > limit) lines.push(`… ${error.issues.length - limit} more`);
  return lines.join("; ");
}
