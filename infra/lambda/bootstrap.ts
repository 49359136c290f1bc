/**
 * The Deno runtime's entry point: loads the handler named by `_HANDLER` and
 * serves invocations with it. Lambda, the base image's entrypoint and the
 * emulator set `_HANDLER` (the image's CMD, the function's handler setting).
 *
 * `_HANDLER` is `<module path without .ts>.<export>`, relative to
 * `LAMBDA_TASK_ROOT` (default: the current directory), as Node's runtime
 * reads `index.handler`:
 *
 * ```sh
 * _HANDLER=exercises/03/handler.handler deno run -A infra/lambda/bootstrap.ts
 * ```
 *
 * @module
 */
import { type Handler, reportInitError, serve } from "./runtime.ts";
import { pathToFileURL } from "node:url";

/**
 * Splits `_HANDLER` into the module file and the export name.
 *
 * @example
 * ```ts
 * parseHandler("exercises/03/handler.handler", "/var/task");
 * // { file: "/var/task/exercises/03/handler.ts", name: "handler" }
 * ```
 */
export function parseHandler(spec: string, root: string): { file: string; name: string } {
  const dot = spec.lastIndexOf(".");
  const slash = spec.lastIndexOf("/");
  if (dot <= slash + 1 || dot === spec.length - 1) {
    throw new TypeError(
      `Cannot load the handler as '_HANDLER' is not <module>.<export>: current value is "${spec}"`,
    );
  }
  const module = spec.slice(0, dot);
  return {
    file: `${root.replace(/\/+$/, "")}/${module.replace(/^\/+/, "")}.ts`,
    name: spec.slice(dot + 1),
  };
}

async function load(): Promise<Handler> {
  const spec = Deno.env.get("_HANDLER") ?? "";
  const { file, name } = parseHandler(spec, Deno.env.get("LAMBDA_TASK_ROOT") ?? Deno.cwd());
  const module = await import(pathToFileURL(file).href);
  const handler = module[name];
  if (typeof handler !== "function") {
    throw new TypeError(`Cannot load the handler as ${file} has no exported function '${name}'`);
  }
  return handler as Handler;
}

if (import.meta.main) {
  let handler: Handler;
  try {
    handler = await load();
  } catch (err) {
    await reportInitError(err);
    Deno.exit(1);
  }
  await serve(handler);
}
