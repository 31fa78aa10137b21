"use strict";
// The osls plugin of backend-workers, listed in serverless.yml `plugins:`. It
//  - declares the `redisStream` function event (JSON Schema derived from the listener's zod
//    schema), so every osls command validates it and a typo fails naming the setting;
//  - bundles the functions into dist/ before `package` / `deploy` / `invoke local` /
//    `offline start` (handlers point at dist/functions/<name>/index.handler);
//  - under `serverless offline start`, runs the Redis-stream listener beside serverless-offline,
//    calling the functions through its Lambda endpoint with the `lambda` invoker.
// osls loads plugins with require(), so this file is CommonJS; the logic lives in the TypeScript
// modules next to it, loaded through tsx (a dependency), the same way bin/backend-workers.mjs
// runs the CLI.

const { resolve } = require("node:path");
const tsx = require("tsx/cjs/api");

/** The serverless-offline defaults this plugin needs when neither the CLI nor `custom` sets them. */
const OFFLINE_DEFAULTS = { host: "localhost", lambdaPort: 3002 };

class RedisStreamPlugin {
  constructor(serverless, options, utils = {}) {
    this.serverless = serverless;
    this.options = options;
    this.log = utils.log ?? { notice: (line) => process.stderr.write(`${line}\n`), warning: (line) => process.stderr.write(`${line}\n`) };
    this.listener = undefined;

    // Synchronous on purpose: osls validates the configuration right after constructing plugins.
    const { redisStreamEventJsonSchema } = tsx.require("./redis-stream-event-schema.ts", __filename);
    serverless.configSchemaHandler.defineFunctionEvent("aws", "redisStream", redisStreamEventJsonSchema());
    serverless.configSchemaHandler.defineCustomProperties({
      properties: {
        redisStream: {
          type: "object",
          properties: { functionsDir: { type: "string" } },
          additionalProperties: false,
        },
      },
    });

    this.hooks = {
      "before:package:createDeploymentArtifacts": () => this.build(),
      "before:package:function:package": () => this.build(),
      // Not before:invoke:local:loadEnvVars: osls's own hook there reads `environment` first.
      initialize: () => (this.serverless.processedInput.commands.join(" ") === "invoke local" ? this.prepareInvokeLocal() : undefined),
      "after:invoke:local:invoke": () => this.endInvokeLocal(),
      "before:offline:start:init": () => this.prepareOffline(),
      "after:offline:start:init": () => this.startListener(),
      "before:offline:start:end": () => this.stopListener(),
      "before:offline:start": () => this.log.warning("redisStream: the Redis-stream listener runs only under `serverless offline start`"),
    };
  }

  get serviceDir() {
    return this.serverless.serviceDir;
  }

  /**
   * The TypeScript side of the plugin, loaded on first use (hooks are asynchronous) as ES modules.
   * tsx's ESM API is imported, not required: its CommonJS build registers its loader from a
   * wrong relative URL.
   */
  async load(module) {
    const { tsImport } = await import("tsx/esm/api");
    return tsImport(`./${module}`, __filename);
  }

  async build() {
    const { buildService } = await this.load("service-build.ts");
    const custom = this.serverless.service.custom?.redisStream ?? {};
    const report = await buildService({
      serviceDir: this.serviceDir,
      configFile: resolve(this.serviceDir, this.serverless.configurationFilename),
      functionsDir: resolve(this.serviceDir, custom.functionsDir ?? "functions"),
    });
    const sizes = Object.entries(report.sizes)
      .filter(([file]) => file.endsWith("/index.js"))
      .map(([file, bytes]) => `${file.split("/")[0]} ${(bytes / 1024).toFixed(1)} KiB`);
    this.log.notice(`redisStream: bundled ${report.manifest.functions.length} function(s): ${sizes.sort().join(", ")}`);
  }

  /** Local runs use the local Redis, key prefix and var directory instead of Lambda's. */
  async prepareInvokeLocal() {
    await this.build();
    const { localFunctionEnvironment } = await this.load("local-environment.ts");
    this.useEnvironment(await localFunctionEnvironment());
  }

  /**
   * Lambda freezes the sandbox once the handler returns; `invoke local` instead waits for the
   * event loop to drain, which never happens while the function keeps its Redis connection open
   * (as it should, for the next invocation). So the process ends shortly after osls is done,
   * with osls's exit code; the timer is unref'd so a process with nothing open exits at once.
   */
  endInvokeLocal() {
    setTimeout(() => process.exit(), 500).unref();
  }

  async prepareOffline() {
    await this.build();
    const { OfflineListener } = await this.load("offline-listener.ts");
    this.listener = await OfflineListener.prepare();
    // serverless-offline hands a function only the service's `environment`, read at its init.
    this.useEnvironment(this.listener.functionEnvironment());
  }

  async startListener() {
    const { serviceDistDir } = await this.load("service-build.ts");
    const { service } = this.serverless;
    const offline = { ...OFFLINE_DEFAULTS, ...service.custom?.["serverless-offline"], ...this.options };
    const functionNames = Object.fromEntries(service.getAllFunctions().map((key) => [key, service.getFunction(key).name]));
    await this.listener.start(
      serviceDistDir(this.serviceDir),
      { endpoint: `http://${offline.host}:${offline.lambdaPort}`, region: this.options.region ?? service.provider.region, functionNames },
      (line) => this.log.notice(line),
    );
  }

  async stopListener() {
    if (!this.listener) return;
    this.log.notice("redisStream: stopping the listener (in-flight jobs finish or stay pending)");
    await this.listener.stop();
  }

  useEnvironment(values) {
    const provider = this.serverless.service.provider;
    provider.environment = { ...provider.environment, ...values };
  }
}

module.exports = RedisStreamPlugin;
