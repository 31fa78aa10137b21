#!/usr/bin/env node
// Runs the TypeScript CLI through tsx's loader so a fresh checkout needs no compile step.
import { register } from "tsx/esm/api";

register();
await import("../shared/cli/main.ts");
