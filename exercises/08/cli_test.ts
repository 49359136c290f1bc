/**
 * Exercise 08 as a user runs it: the three scripts as processes, with their
 * stdout, stderr and exit codes, against the real broker and Redis.
 */
import assert from "node:assert/strict";
import { readTopic, requireService } from "../../infra/testing.ts";
import { startScript } from "../../infra/script.ts";
import { envOf, testConfig, withRedis, withTopicsOf } from "./_testing.ts";
import { parseClick } from "./click.ts";
import { applyOnce } from "./store.ts";
import { offsetKey, tally } from "./tally.ts";

Deno.test("server.ts serves the counts over HTTP and stops cleanly on SIGTERM", async () => {
  await requireService("redis");
  const config = testConfig();
  await withRedis(config.prefix, async (redis) => {
    const clicks = [0, 1, 2].map((i) => ({
      offset: String(i),
      user_id: "u-7",
      url: "/",
      ts: Date.now() - i * 120_000,
    }));
    await applyOnce(
      redis,
      offsetKey(config.prefix, "seed", 0),
      clicks,
      (fresh) => Promise.resolve(tally(fresh, config)),
    );
    const server = startScript("exercises/08/server.ts", [], {
      ...envOf(config),
      HTTP_PORT: "0",
    });
    try {
      await server.stderr.waitFor(
        (lines) => lines.some((l) => l.includes("listening on")),
        20_000,
        "the server to listen",
      );
      const port = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(server.stderr.lines.join("\n"))
        ?.[1];
      const get = async (path: string) => {
        const res = await fetch(`http://127.0.0.1:${port}${path}`);
        return [res.status, await res.json()];
      };
      const [status, body] = await get("/users/u-7/clicks?window=3m");
      assert.equal(status, 200);
      assert.deepEqual([body.total, body.rolling, body.window], [3, 2, "3m"]);
      const [unknown, zeros] = await get("/users/u-8/clicks");
      assert.deepEqual([unknown, zeros.total, zeros.rolling], [200, 0, 0]);
      const [bad, error] = await get("/users/u-7/clicks?window=soon");
      assert.equal(bad, 400);
      assert.match(error.error, /Cannot use 'window'.*current value is "soon"/);
    } finally {
      const stopped = await server.stop("SIGTERM");
      assert.equal(stopped.code, 0, server.stderr.tail());
    }
  });
});

Deno.test("generator.ts keeps to the rate, shows progress and prints one summary line", async () => {
  await requireService("kafka");
  const config = testConfig();
  await withTopicsOf(config, async () => {
    const generator = startScript(
      "exercises/08/generator.ts",
      ["--count", "1500", "--rate", "1000", "--bad", "0.02"],
      envOf(config),
    );
    const status = await generator.status;
    assert.equal(status.code, 0, generator.stderr.tail());
    assert.equal(generator.stdout.lines.length, 1, "one summary line on stdout");
    const summary = JSON.parse(generator.stdout.lines[0]);
    assert.equal(summary.sent, 1500);
    assert.ok(summary.seconds >= 1.3, `1500 events at 1000/s took ${summary.seconds} s`);
    assert.ok(
      generator.stderr.lines.some((l) =>
        /^generator: \d+\/1500 sent \(\d+ bad\), \d+ events\/s$/.test(l)
      ),
      generator.stderr.tail(),
    );
    const messages = await readTopic(config.topic);
    assert.equal(messages.length, 1500);
    assert.equal(messages.filter((m) => !parseClick(m.value).ok).length, summary.bad);
  });
});

Deno.test("generator.ts rejects a bad flag with the usage, before connecting", async () => {
  const bad = startScript("exercises/08/generator.ts", ["--bad", "lots"]);
  assert.equal((await bad.status).code, 2);
  assert.match(
    bad.stderr.lines.join("\n"),
    /'--bad' as it is not a fraction from 0 to 1: current value is "lots"/,
  );
  assert.match(bad.stderr.tail(1), /^usage: /);
});

Deno.test("processor.ts rejects a bad setting before connecting, naming it", async () => {
  const bad = startScript("exercises/08/processor.ts", [], { CLICKS_BUCKET: "1 minute" });
  assert.equal((await bad.status).code, 1);
  assert.match(
    bad.stderr.tail(),
    /'CLICKS_BUCKET' as it is not a duration .*current value is "1 minute"/,
  );
});

Deno.test("server.ts fails with a message naming REDIS_URL when Redis is down", async () => {
  const down = startScript("exercises/08/server.ts", [], { REDIS_URL: "redis://127.0.0.1:1" });
  assert.equal((await down.status).code, 1);
  assert.match(
    down.stderr.tail(1),
    /^server: Cannot reach Redis at REDIS_URL=redis:\/\/127\.0\.0\.1:1: .*make services/,
  );
});
