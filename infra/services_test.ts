/**
 * infra/services.sh as a second clone and a machine without Deno see it: the
 * services this checkout's `make services` started stand in for "another
 * clone's", reached through a run directory of its own.
 */
import assert from "node:assert/strict";
import { requireService } from "./testing.ts";

const SCRIPT = new URL("./services.sh", import.meta.url).pathname;

async function services(args: string[], env: Record<string, string>) {
  const { code, stdout, stderr } = await new Deno.Command("bash", {
    args: [SCRIPT, ...args],
    env,
    stdin: "null",
  }).output();
  const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
  return { code, stdout: text(stdout), stderr: text(stderr) };
}

Deno.test("services.sh up uses a working Kafka that another checkout started", async () => {
  await requireService("kafka");
  const run = await Deno.makeTempDir({ prefix: "second-clone-" });
  try {
    // A second clone has no log and no pid file of its own for the broker on 9092.
    const up = await services(["up", "kafka"], { DRILLS_RUN: run, DENO: Deno.execPath() });
    assert.equal(up.code, 0, up.stderr);
    assert.match(
      up.stderr,
      /kafka: already served on 127\.0\.0\.1:9092 by a process this checkout/,
    );
    const status = await services(["status", "kafka"], { DRILLS_RUN: run, DENO: Deno.execPath() });
    assert.equal(status.code, 0, status.stdout + status.stderr);
    assert.match(status.stdout, /^kafka +up +\(started by another checkout\)/);
  } finally {
    await Deno.remove(run, { recursive: true });
  }
});

Deno.test("services.sh up and status say that Deno is missing, not that a port is taken", async () => {
  const path = (Deno.env.get("PATH") ?? "").split(":").filter((dir) => {
    try {
      Deno.statSync(`${dir}/deno`);
      return false;
    } catch {
      return true;
    }
  }).join(":");
  for (const command of ["up", "status"]) {
    const result = await services([command], { PATH: path, DENO: "deno" });
    assert.equal(result.code, 1, command);
    assert.match(result.stderr, /Deno is missing: 'deno' is not on PATH \(run `make deno`/);
    assert.doesNotMatch(result.stderr, /port .* is taken/);
  }
});
