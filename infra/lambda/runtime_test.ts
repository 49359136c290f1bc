/**
 * The Deno Lambda runtime under the real runtime interface emulator.
 */
import assert from "node:assert/strict";
import { startFunction } from "./emulator.ts";
import { parseHandler } from "./bootstrap.ts";
import { toLambdaError } from "./runtime.ts";
import { planImage } from "./task_root.ts";

Deno.test("parseHandler() splits <module>.<export> under the task root", () => {
  assert.deepEqual(parseHandler("exercises/03/handler.handler", "/var/task/"), {
    file: "/var/task/exercises/03/handler.ts",
    name: "handler",
  });
  for (const bad of ["", "handler", "a/b.", ".handler", "a.b/c"]) {
    assert.throws(() => parseHandler(bad, "/"), /'_HANDLER' is not <module>.<export>/, bad);
  }
});

Deno.test("toLambdaError() keeps the error's type, message and stack", () => {
  const error = toLambdaError(new RangeError("Cannot count: bad"));
  assert.equal(error.errorType, "RangeError");
  assert.equal(error.errorMessage, "Cannot count: bad");
  assert.ok(error.stackTrace[0].startsWith("at "));
  assert.deepEqual(toLambdaError("text"), {
    errorType: "Error",
    errorMessage: "text",
    stackTrace: [],
  });
});

Deno.test("serve() answers each invocation with the handler's result and context", async () => {
  const fn = await startFunction("infra/lambda/testdata/echo.echo", {
    env: { GREETING: "hello" },
    name: "echo-fn",
    timeoutSeconds: 30,
  });
  try {
    const first = await fn.invoke({ n: 1 });
    const second = await fn.invoke({ n: 2 });
    assert.ok(first.ok && second.ok, JSON.stringify([first, second]));
    const a = first.result as Record<string, unknown>;
    const b = second.result as Record<string, unknown>;
    assert.deepEqual([a.event, b.event], [{ n: 1 }, { n: 2 }]);
    assert.match(String(a.requestId), /^[0-9a-f-]{36}$/);
    assert.notEqual(a.requestId, b.requestId);
    assert.equal(a.functionName, "echo-fn");
    assert.match(String(a.arn), /:function:echo-fn$/);
    const remaining = Number(a.remainingMs);
    assert.ok(remaining > 25_000 && remaining <= 30_000, `remaining ${remaining} ms`);
    assert.equal(a.greeting, "hello", "the function sees the env it was given");
  } finally {
    await fn.stop();
  }
});

Deno.test("serve() reports a thrown error in Lambda's format and keeps serving", async () => {
  const fn = await startFunction("infra/lambda/testdata/echo.fail");
  try {
    const failed = await fn.invoke({ what: "order 7" });
    assert.equal(failed.ok, false);
    assert.deepEqual(!failed.ok && [failed.error.errorType, failed.error.errorMessage], [
      "RangeError",
      "Cannot handle order 7: asked to fail",
    ]);
    const again = await fn.invoke({ what: "order 8" });
    assert.equal(!again.ok && again.error.errorMessage, "Cannot handle order 8: asked to fail");
  } finally {
    await fn.stop();
  }
});

Deno.test("bootstrap.ts fails init with a message naming a missing export", async () => {
  const fn = await startFunction("infra/lambda/testdata/echo.nope");
  try {
    const failed = await fn.invoke({});
    assert.equal(failed.ok, false);
    assert.match(
      !failed.ok ? failed.error.errorMessage : "",
      /echo\.ts has no exported function 'nope'/,
    );
  } finally {
    await fn.stop();
  }
});

Deno.test("startFunction() reports a handler that outlives its timeout as failed", async () => {
  const fn = await startFunction("infra/lambda/testdata/echo.hang", { timeoutSeconds: 1 });
  try {
    const failed = await fn.invoke({});
    assert.equal(failed.ok, false);
    assert.equal(!failed.ok && failed.error.errorType, "Sandbox.Timedout");
    assert.ok(failed.ms >= 1_000, `answered after ${failed.ms} ms`);
  } finally {
    await fn.stop();
  }
});

Deno.test("the bootstrap runs from a read-only task root and cache, writing only to /tmp", async () => {
  const fn = await startFunction("infra/lambda/testdata/echo.write", { readOnly: true });
  try {
    const result = await fn.invoke({});
    assert.ok(result.ok, `${JSON.stringify(result)}\n${fn.logs.tail()}`);
    const { tmp, taskRoot } = result.result as { tmp: string; taskRoot: string };
    assert.equal(tmp, "written");
    // Refused by Deno's --allow-write=/tmp, or (for a checkout under /tmp) by the read-only mount.
    assert.notEqual(taskRoot, "written");
  } finally {
    await fn.stop();
  }
});

Deno.test("planImage() reads the task root's part of both Lambda Dockerfiles", async () => {
  for (const nn of ["03", "09"]) {
    const plan = planImage(await Deno.readTextFile(`exercises/${nn}/Dockerfile`));
    assert.equal(plan.handler, `exercises/${nn}/handler.handler`);
    assert.ok(plan.entrypoints.includes(`exercises/${nn}/handler.ts`), JSON.stringify(plan));
    assert.ok(plan.copies.some((c) => c.sources.includes("deno.lock")), JSON.stringify(plan));
  }
});

Deno.test("serve() reports a result that cannot be sent as the function's error and keeps serving", async () => {
  const fn = await startFunction("infra/lambda/testdata/echo.unsendable");
  try {
    const failed = await fn.invoke({});
    assert.equal(failed.ok, false);
    assert.equal(!failed.ok && failed.error.errorType, "TypeError");
    assert.match(!failed.ok ? failed.error.errorMessage : "", /BigInt/);
    const fine = await fn.invoke({ ok: true });
    assert.deepEqual(fine.ok && fine.result, { ok: true });
  } finally {
    await fn.stop();
  }
});
