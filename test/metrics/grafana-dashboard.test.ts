import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Registry } from "prom-client";
import { describe, expect, inject, it } from "vitest";
import { PrometheusExporter } from "../../shared/metrics/prometheus-exporter.ts";
import { ROOT } from "../helpers/cli.ts";
import { testManifest } from "../helpers/test-functions.ts";
import { testRedis, uniquePrefix } from "../helpers/test-env.ts";
import { parsePrometheusText } from "./prometheus-text.ts";

const redisUrl = inject("redisUrl");

interface Panel {
  type: string;
  title: string;
  targets?: { expr: string }[];
}

describe("grafana/dashboard.json", () => {
  it("queries only metrics and labels /metrics exposes, and shows every one of them", async () => {
    // Prepare
    const dashboard = JSON.parse(readFileSync(join(ROOT, "grafana", "dashboard.json"), "utf8")) as { uid: string; panels: Panel[] };
    const redis = testRedis(redisUrl);
    const exporter = new PrometheusExporter({ registry: new Registry(), redis, manifest: await testManifest(), keyPrefix: uniquePrefix() });

    // Act
    const exposition = parsePrometheusText(await exporter.scrape());
    await redis.quit();

    // Assess
    const exprs = dashboard.panels.flatMap((panel) => (panel.targets ?? []).map((target) => target.expr));
    expect(exprs.length).toBeGreaterThan(10);
    const used = new Set(exprs.flatMap((expr) => expr.match(/backend_workers_[a-z_]+/g) ?? []));
    const sampleNames = new Set(exposition.samples.map((sample) => sample.name));
    for (const name of used) expect(sampleNames.has(name), `${name} is not exposed`).toBe(true);
    const families = [...exposition.types.keys()];
    for (const family of families) expect([...used].some((name) => name === family || name.startsWith(`${family}_`)), `${family} is on no panel`).toBe(true);
    const labels = new Set(exposition.samples.flatMap((sample) => Object.keys(sample.labels)));
    for (const expr of exprs) {
      for (const [, label] of expr.matchAll(/[{,]\s*([a-z_]+)\s*=~?/g)) expect(labels.has(label as string), `label ${label} in ${expr}`).toBe(true);
      for (const [, list] of expr.matchAll(/by \(([^)]*)\)/g)) for (const label of (list as string).split(",").map((l) => l.trim())) expect(labels.has(label), `label ${label} in ${expr}`).toBe(true);
    }
  });
});
