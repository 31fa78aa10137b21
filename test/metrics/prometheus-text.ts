/** One sample line of the Prometheus text format. */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** A parsed exposition: metric families by name, and every sample. */
export interface Exposition {
  types: Map<string, string>;
  helps: Map<string, string>;
  samples: Sample[];
  /** The value of the one sample named `name` whose labels include `labels`; throws if not exactly one. */
  value(name: string, labels?: Record<string, string>): number;
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+-?\d+)?$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*(?:,|$)/y;

/**
 * A strict parser of the Prometheus text format 0.0.4, for tests: any line it does not understand,
 * a sample of an undeclared family, or a family declared twice fails the parse. Histogram samples
 * (`_bucket`, `_sum`, `_count`) belong to their histogram's family.
 */
export function parsePrometheusText(text: string): Exposition {
  const types = new Map<string, string>();
  const helps = new Map<string, string>();
  const samples: Sample[] = [];
  for (const [index, line] of text.split("\n").entries()) {
    if (line.trim() === "") continue;
    const where = `line ${index + 1}: ${line}`;
    if (line.startsWith("# HELP ")) {
      const [, name, help] = /^# HELP (\S+) (.*)$/.exec(line) ?? [];
      if (!name || help === undefined) throw new Error(`bad HELP, ${where}`);
      helps.set(name, help);
    } else if (line.startsWith("# TYPE ")) {
      const [, name, type] = /^# TYPE (\S+) (counter|gauge|histogram|summary|untyped)$/.exec(line) ?? [];
      if (!name || !type) throw new Error(`bad TYPE, ${where}`);
      if (types.has(name)) throw new Error(`family declared twice, ${where}`);
      types.set(name, type);
    } else if (line.startsWith("#")) {
      continue;
    } else {
      const match = SAMPLE.exec(line);
      if (!match) throw new Error(`bad sample, ${where}`);
      const [, name, labelText, valueText] = match as unknown as [string, string, string | undefined, string];
      const family = types.has(name) ? name : name.replace(/_(bucket|sum|count)$/, "");
      if (!types.has(family)) throw new Error(`sample of an undeclared family, ${where}`);
      const labels: Record<string, string> = {};
      if (labelText) {
        LABEL.lastIndex = 0;
        while (LABEL.lastIndex < labelText.length) {
          const label = LABEL.exec(labelText);
          if (!label) throw new Error(`bad labels, ${where}`);
          labels[label[1] as string] = (label[2] as string).replace(/\\(.)/g, (_, c: string) => (c === "n" ? "\n" : c));
        }
      }
      const value = valueText === "+Inf" ? Infinity : valueText === "-Inf" ? -Infinity : Number(valueText);
      if (Number.isNaN(value) && valueText !== "NaN") throw new Error(`bad value, ${where}`);
      samples.push({ name, labels, value });
    }
  }
  return {
    types,
    helps,
    samples,
    value(name, labels = {}) {
      const found = samples.filter((sample) => sample.name === name && Object.entries(labels).every(([key, value]) => sample.labels[key] === value));
      if (found.length !== 1) throw new Error(`expected one sample ${name}${JSON.stringify(labels)}, found ${found.length}`);
      return (found[0] as Sample).value;
    },
  };
}
