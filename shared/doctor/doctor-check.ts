/** How a check came out: `fail` makes `doctor` exit non-zero; `warn` and `info` do not. */
export type CheckStatus = "ok" | "info" | "warn" | "fail";

/** One line of `doctor`: what was checked, what was found, and how to fix it when not ok. */
export interface DoctorCheck {
  name: string;
  status: CheckStatus;
  detail: string;
  fix?: string;
}

const LABELS: Record<CheckStatus, string> = { ok: "[ ok ]", info: "[info]", warn: "[warn]", fail: "[FAIL]" };

/** Renders a check as the one line `doctor` prints: status, name, finding and, if any, the fix. */
export function formatCheck(check: DoctorCheck): string {
  const fix = check.fix && check.status !== "ok" ? ` — fix: ${check.fix}` : "";
  return `${LABELS[check.status]} ${check.name}: ${check.detail}${fix}`;
}
