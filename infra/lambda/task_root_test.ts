/**
 * A file copied alone becomes a task root of that file and the runtime only.
 */
import assert from "node:assert/strict";
import { buildTaskRoot, copyAloneTaskRoot, planImage } from "./task_root.ts";

/** Every file under `dir`, relative to it, sorted. */
async function filesUnder(dir: string, prefix = ""): Promise<string[]> {
  const found: string[] = [];
  for await (const entry of Deno.readDir(`${dir}/${prefix}`)) {
    const path = `${prefix}${entry.name}`;
    if (entry.isDirectory) found.push(...await filesUnder(dir, `${path}/`));
    else found.push(path);
  }
  return found.toSorted();
}

Deno.test("copyAloneTaskRoot() builds a task root of the one file and the runtime, nothing of the project", async () => {
  const alone = await copyAloneTaskRoot("exercises/03/solution.ts");
  try {
    assert.equal(alone.handler, "solution.handler");
    assert.deepEqual(await filesUnder(alone.dir), ["Dockerfile", "solution.ts"]);
    const plan = planImage(await Deno.readTextFile(`${alone.dir}/Dockerfile`));
    assert.equal(plan.handler, "solution.handler");
    assert.deepEqual(plan.entrypoints, ["infra/lambda/bootstrap.ts", "solution.ts"]);
    const root = await buildTaskRoot(alone.image);
    try {
      assert.equal(root.handler, "solution.handler");
      assert.deepEqual(await filesUnder(root.dir), [
        "infra/lambda/bootstrap.ts",
        "infra/lambda/runtime.ts",
        "solution.ts",
      ]);
      assert.equal(
        await Deno.readTextFile(`${root.dir}/solution.ts`),
        await Deno.readTextFile(new URL("../../exercises/03/solution.ts", import.meta.url)),
      );
    } finally {
      await root.remove();
    }
  } finally {
    await alone.remove();
  }
  await assert.rejects(Deno.stat(alone.dir), Deno.errors.NotFound);
});
