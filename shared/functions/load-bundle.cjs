// Loads a function bundle (CommonJS) the way require() does, keeping V8's code cache beside it.
// Plain CommonJS so the isolated invoker's child process can use it without a TypeScript loader.
"use strict";

const { hash } = require("node:crypto");
const { readdirSync, readFileSync, renameSync, rmSync, writeFileSync } = require("node:fs");
const Module = require("node:module");
const { basename, dirname, join, resolve } = require("node:path");
const { Script } = require("node:vm");

/** Bundles loaded by this process, by absolute path (require's cache, for these files). */
const loaded = new Map();

/**
 * Returns the exports of the CommonJS bundle at `file`, loaded once per process. Compiling a
 * function bundle (~1 MB: zod, nodemailer, ioredis) takes ~70 ms at every worker or child
 * start, and Node 20 has no `module.enableCompileCache`; so the bundle is compiled through
 * `vm.Script` with the code cache V8 produced last time (`<bundle>.<sha1>.v8cache`, named after
 * the source's hash because V8 itself only checks the source length). A missing, stale or
 * rejected cache only costs the compile; a read-only directory just means no cache is kept.
 */
function loadBundle(file) {
  const filename = resolve(file);
  const known = loaded.get(filename);
  if (known) return known.exports;
  const source = readFileSync(filename, "utf8");
  const cacheFile = `${filename}.${hash("sha1", source, "hex").slice(0, 16)}.v8cache`;
  let cachedData;
  try {
    cachedData = readFileSync(cacheFile);
  } catch {
    cachedData = undefined;
  }
  const script = new Script(Module.wrap(source), { filename, cachedData });
  const module = new Module(filename);
  module.filename = filename;
  module.paths = Module._nodeModulePaths(dirname(filename));
  loaded.set(filename, module);
  try {
    script.runInThisContext({ displayErrors: true }).call(module.exports, module.exports, Module.createRequire(filename), module, filename, dirname(filename));
  } catch (error) {
    loaded.delete(filename);
    throw error;
  }
  module.loaded = true;
  if (cachedData === undefined || script.cachedDataRejected) saveCache(cacheFile, script);
  return module.exports;
}

// After the bundle ran: the cache then also holds the functions its top level called. Caches of
// earlier builds of the same bundle are removed.
function saveCache(cacheFile, script) {
  const temporary = `${cacheFile}.${process.pid}.tmp`;
  try {
    writeFileSync(temporary, script.createCachedData());
    renameSync(temporary, cacheFile); // atomic: a concurrent reader sees the old file or the new one
    const dir = dirname(cacheFile);
    const prefix = `${basename(cacheFile).split(".").slice(0, -2).join(".")}.`;
    for (const name of readdirSync(dir)) {
      if (name.startsWith(prefix) && name.endsWith(".v8cache") && join(dir, name) !== cacheFile) rmSync(join(dir, name), { force: true });
    }
  } catch {
    // read-only dist or a full disk: run without a cache
    rmSync(temporary, { force: true });
  }
}

module.exports = { loadBundle };
