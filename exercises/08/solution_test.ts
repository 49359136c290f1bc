/**
 * solution.ts copied alone into an empty folder and run there against the
 * real broker and Redis: two processors in one group count every click, and
 * the endpoint's totals and 5-minute counts equal the ones worked out from
 * the produced events.
 */
import assert from "node:assert/strict";
import { newProducer } from "../../infra/kafka.ts";
import { requireService, testKafka, uniqueName, until } from "../../infra/testing.ts";
import { copyAlone, startScript } from "../../infra/script.ts";
import { testConfig, withRedis, withTopicsOf } from "./_testing.ts";

Deno.test("solution.ts, copied alone, counts every click and serves totals and rolling counts", async () => {
  await requireService("kafka");
  await requireService("redis");
  const dir = await copyAlone(["exercises/08/solution.ts"]);
  const config = testConfig();
  const env = {
    CLICKS_TOPIC: config.topic,
    CLICKS_DLQ_TOPIC: config.dlqTopic,
    CLICKS_GROUP: uniqueName("g"),
    CLICKS_PREFIX: config.prefix,
  };
  // Clicks well inside the last 5 minutes or well outside them, so a minute
  // turning over while the test runs changes nothing.
  const now = Date.now();
  const events = Array.from({ length: 600 }, (_, i) => ({
    user_id: `u-${i % 7}`,
    url: "/",
    ts: i % 3 === 0 ? now - 360_000 - (i % 600) * 1000 : now - (i % 150) * 1000,
  }));
  const expected = new Map<string, { total: number; rolling: number }>();
  for (const e of events) {
    const c = expected.get(e.user_id) ?? { total: 0, rolling: 0 };
    c.total++;
    if (e.ts > now - 300_000) c.rolling++;
    expected.set(e.user_id, c);
  }
  await withTopicsOf(config, async (admin) => {
    await withRedis(config.prefix, async (redis) => {
      await admin.createTopics({
        topics: [{ topic: config.topic, numPartitions: 3 }, { topic: config.dlqTopic }],
        waitForLeaders: true,
      });
      const producer = newProducer(testKafka());
      await producer.connect();
      await producer.send({
        topic: config.topic,
        messages: [
          ...events.map((e) => ({ key: e.user_id, value: JSON.stringify(e) })),
          { value: "not json" },
        ],
      });
      await producer.disconnect();
      const processors = [0, 1].map(() => startScript("solution.ts", ["process"], env, dir));
      const server = startScript("solution.ts", ["serve"], { ...env, HTTP_PORT: "0" }, dir);
      try {
        const totals = async () => {
          const keys = [...expected.keys()].map((u) => `${config.prefix}:user:${u}:total`);
          return (await redis.mget(...keys)).reduce((n, v) => n + Number(v ?? 0), 0);
        };
        await until(async () => await totals() >= events.length, 60_000, "every click counted");
        await server.stderr.waitFor((l) => l.some((x) => /Listening on/.test(x)), 20_000);
        const port = /:(\d+)\//.exec(server.stderr.lines.find((x) => /Listening on/.test(x))!)![1];
        for (const [user, counts] of expected) {
          const res = await fetch(`http://127.0.0.1:${port}/users/${user}/clicks?window=5m`);
          const body = await res.json();
          assert.deepEqual([body.total, body.rolling], [counts.total, counts.rolling], user);
        }
        const bad = await fetch(`http://127.0.0.1:${port}/users/u-1/clicks?window=soon`);
        assert.equal(bad.status, 400);
        await bad.body?.cancel();
        assert.equal(await totals(), events.length, "nothing counted twice");
      } finally {
        for (const p of [...processors, server]) await p.stop("SIGTERM");
        await Deno.remove(dir, { recursive: true });
      }
    });
  });
});
