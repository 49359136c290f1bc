/**
 * A Lambda image's task root, built on this machine from the exercise's
 * Dockerfile without Docker: the files its COPY lines put in the task root,
 * then its `deno install --entrypoint …` step, in a temporary directory. The
 * emulator then runs the function from it, read-only, as Lambda would run the
 * image. So the tests also prove the Dockerfile copies everything the
 * function needs, and that the runtime needs nothing but what that install
 * cached (--cached-only).
 *
 * Understood: `COPY [--chmod=…] <src>… <dest>` relative to the build context
 * (the repo root) and the task root (`--from=` and `${LAMBDA_RUNTIME_DIR}`
 * destinations are the image's business, not the task root's), `RUN deno
 * install … --entrypoint <files>`, and `CMD ["<handler>"]`.
 *
 * @module
 */
import { basename, relative } from "node:path";
import { copyAlone } from "../script.ts";

const ROOT = new URL("../../", import.meta.url).pathname;

/** What the Dockerfile says, as far as the task root goes. */
export interface ImagePlan {
  copies: { sources: string[]; dest: string }[];
  entrypoints: string[];
  handler: string;
}

/**
 * Reads the COPY, RUN deno install and CMD instructions of a Dockerfile.
 *
 * @example
 * ```ts
 * planImage(Deno.readTextFileSync("exercises/03/Dockerfile")).handler; // "exercises/03/handler.handler"
 * ```
 */
export function planImage(dockerfile: string): ImagePlan {
  const instructions = dockerfile
    .split("\n")
    .filter((line) => !line.trimStart().startsWith("#"))
    .join("\n")
    .replace(/\\\n/g, " ")
    .split("\n")
    .map((line) => line.trim())
    .filter(Boolean);
  const plan: ImagePlan = { copies: [], entrypoints: [], handler: "" };
  for (const line of instructions) {
    const [op, ...words] = line.split(/\s+/);
    if (op === "COPY") {
      if (words.some((w) => w.startsWith("--from="))) continue;
      const args = words.filter((w) => !w.startsWith("--"));
      const dest = args.pop()!;
      if (dest.startsWith("${LAMBDA_RUNTIME_DIR}")) continue;
      plan.copies.push({ sources: args, dest });
    } else if (op === "RUN" && /\bdeno install\b/.test(line)) {
      const after = line.split("--entrypoint")[1] ?? "";
      plan.entrypoints.push(...after.split("&&")[0].trim().split(/\s+/).filter(Boolean));
    } else if (op === "CMD") {
      plan.handler = (JSON.parse(words.join(" ")) as string[])[0];
    }
  }
  if (plan.copies.length === 0 || plan.entrypoints.length === 0 || !plan.handler) {
    throw new Error(
      `Cannot plan the image: expected COPY, RUN deno install --entrypoint and CMD lines, got ${
        JSON.stringify(plan)
      }`,
    );
  }
  return plan;
}

async function run(cmd: string, args: string[], cwd: string): Promise<void> {
  const out = await new Deno.Command(cmd, { args, cwd, stdout: "piped", stderr: "piped" })
    .output();
  if (!out.success) {
    throw new Error(
      `Cannot build the task root: ${cmd} ${args.join(" ")} failed:\n${
        new TextDecoder().decode(out.stderr)
      }`,
    );
  }
}

/** A task root built in a temporary directory. */
export interface TaskRoot {
  dir: string;
  /** The image's handler (its CMD). */
  handler: string;
  remove(): Promise<void>;
}

/**
 * Builds the task root of `dockerfile` (a path relative to the repo root).
 *
 * @example
 * ```ts
 * const root = await buildTaskRoot("exercises/03/Dockerfile");
 * await root.remove();
 * ```
 */
export async function buildTaskRoot(dockerfile: string): Promise<TaskRoot> {
  const plan = planImage(await Deno.readTextFile(`${ROOT}${dockerfile}`));
  const dir = await Deno.makeTempDir({ prefix: "drills-task-root-" });
  try {
    for (const { sources, dest } of plan.copies) {
      const target = `${dir}/${dest}`;
      await Deno.mkdir(dest.endsWith("/") || sources.length > 1 ? target : `${target}/..`, {
        recursive: true,
      });
      for (const source of sources) {
        // "dir/" copies the directory's contents, as Docker does.
        await run("cp", ["-a", source.endsWith("/") ? `${source}.` : source, target], ROOT);
      }
    }
    await run(Deno.execPath(), [
      "install",
      "--frozen",
      "--quiet",
      "--unstable-npm-lazy-caching",
      "--entrypoint",
      ...plan.entrypoints,
    ], dir);
  } catch (err) {
    await Deno.remove(dir, { recursive: true });
    throw err;
  }
  return {
    dir,
    handler: plan.handler,
    remove: () => Deno.remove(dir, { recursive: true }),
  };
}

/** A file copied alone, and the Dockerfile of a task root of it and the runtime. */
export interface AloneImage {
  /** The temporary folder holding the file and the Dockerfile. */
  dir: string;
  /** The Dockerfile, relative to the repo root: what `startFunction()`'s `image` takes. */
  image: string;
  /** The handler its CMD names: `<file name without .ts>.handler`. */
  handler: string;
  remove(): Promise<void>;
}

/**
 * `file` (a path from the repo root, exporting `handler`) copied alone into
 * an empty folder, with a Dockerfile beside it whose task root holds that
 * one file and the Deno runtime: no deno.json, no import map, no lockfile,
 * as a learner's own function would be. `startFunction()` runs it with
 * `image`; remove the folder when done.
 *
 * @example
 * ```ts
 * const alone = await copyAloneTaskRoot("exercises/03/solution.ts");
 * const fn = await startFunction(alone.handler, { image: alone.image });
 * await fn.stop();
 * await alone.remove();
 * ```
 */
export async function copyAloneTaskRoot(file: string): Promise<AloneImage> {
  const dir = await copyAlone([file]);
  const name = basename(file);
  const handler = `${name.replace(/\.ts$/, "")}.handler`;
  await Deno.writeTextFile(
    `${dir}/Dockerfile`,
    [
      "COPY infra/lambda/bootstrap.ts infra/lambda/runtime.ts infra/lambda/",
      `COPY ${relative(ROOT, `${dir}/${name}`)} ./`,
      `RUN deno install --entrypoint infra/lambda/bootstrap.ts ${name}`,
      `CMD ["${handler}"]`,
    ].join("\n"),
  );
  return {
    dir,
    image: relative(ROOT, `${dir}/Dockerfile`),
    handler,
    remove: () => Deno.remove(dir, { recursive: true }),
  };
}
