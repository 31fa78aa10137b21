import { z } from "zod";

/** The benchmark payload: ~200 bytes of JSON with a send time for the latency figure. */
export const schema = z.object({ t: z.number(), artifactId: z.number(), tracker: z.string(), title: z.string(), changes: z.array(z.string()) });
