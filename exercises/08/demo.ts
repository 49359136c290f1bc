/**
 * Exercise 08 end to end, as `make demo` and `make ex08` run it: the
 * generator streams clicks (a few of them broken) while the processor counts
 * them into Redis; the processor is killed with SIGKILL twice mid-stream and
 * restarted; then the HTTP server answers for every user, and the demo checks
 * each answer against counts worked out from the topic itself. Progress goes
 * to stderr; the last line on stdout is the one-line summary.
 *
 * @module
 */
import type { Redis } from "ioredis";
import { type Script, startScript } from "../../infra/script.ts";
import { kafkaClient } from "../../infra/kafka.ts";
import { readTopic } from "../../infra/testing.ts";
import { parseClick } from "./click.ts";
import { readConfig } from "./config.ts";
import { lag } from "./processor.ts";
import { connectRedis } from "./store.ts";
import { offsetKey } from "./tally.ts";
import { bucketStart } from "./window.ts";

const KILLS = 2;
const COUNT = 20_000;
const stamp = new Date().toISOString().replace(/\D/g, "").slice(0, 14);
const env = {
  CLICKS_TOPIC: `demo-clicks-${stamp}`,
  CLICKS_DLQ_TOPIC: `demo-clicks-${stamp}.dlq`,
  CLICKS_GROUP: `demo-counter-${stamp}`,
  CLICKS_PREFIX: `demo-clicks-${stamp}`,
  // Small transactions and a pause before each Kafka commit, so that a kill -9
  // is likely to land after a Redis transaction and before its Kafka commit:
  // the moment where plain at-least-once counting would count twice.
  CLICKS_BATCH_SIZE: "200",
  CLICKS_COMMIT_DELAY: "25ms",
  CLICKS_SESSION_TIMEOUT: "6s",
};
const config = readConfig({ ...Deno.env.toObject(), ...env });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const say = (line: string) => console.error(`08: ${line}`);

function run(name: string, script: string, args: string[] = [], extra = {}): Script {
  const child = startScript(`exercises/08/${script}`, args, { ...env, ...extra });
  child.stderr.onLine = (line) => console.error(`  ${name}: ${line.replace(/^\w+: /, "")}`);
  return child;
}

const failures: string[] = [];
let redis: Redis | undefined;
const admin = kafkaClient(config.brokers, "clicks-demo").admin();
let generator: Script | undefined;
let processor: Script | undefined;
let server: Script | undefined;
let summary = { sent: 0, bad: 0 };
let between = 0;
let wouldRecount = 0;
let users = 0;
let checked = 0;
let deadLettered = 0;

try {
  redis = await connectRedis(config.redisUrl);
  await admin.connect();
  say(`topic ${config.topic} (${config.partitions} partitions), Redis keys ${config.prefix}:*`);
  const offsets = async () =>
    (await redis!.mget(
      [...Array(config.partitions).keys()].map((p) => offsetKey(config.prefix, config.topic, p)),
    )).map((v) => Number(v ?? 0));
  const committed = async () =>
    (await admin.fetchOffsets({ groupId: config.groupId, topics: [config.topic] }))[0]
      .partitions.toSorted((a, b) => a.partition - b.partition)
      .map((p) => Math.max(0, Number(p.offset)));
  const counted = async () => (await offsets()).reduce((a, b) => a + b, 0);

  processor = run("processor", "processor.ts");
  await processor.stderr.waitFor(
    (lines) => lines.some((l) => l.includes("resumes at offset")),
    60_000,
    "the processor to join its group",
  );
  generator = run("generator", "generator.ts", [
    "--count",
    `${COUNT}`,
    "--rate",
    "4000",
    "--users",
    "50",
    "--bad",
    "0.005",
  ]);

  for (let kill = 1; kill <= KILLS; kill++) {
    const target = (COUNT * kill) / (KILLS + 2);
    while (await counted() < target) await sleep(5);
    await processor.stop("SIGKILL");
    const [inRedis, inKafka] = [await offsets(), await committed()];
    const ahead = inRedis.reduce((n, offset, p) => n + Math.max(0, offset - inKafka[p]), 0);
    if (ahead > 0) between++;
    wouldRecount += ahead;
    say(
      `kill -9 #${kill} after ${await counted()} messages: Redis offsets [${inRedis}], Kafka ` +
        `commits [${inKafka}]; resuming from Kafka would count ${ahead} messages twice`,
    );
    say("restarting the processor (the group waits out the dead member's 6 s session)");
    processor = run("processor", "processor.ts");
  }

  const status = await generator.status;
  if (status.code !== 0) throw new Error(`generator exited with ${status.code}`);
  summary = JSON.parse(generator.stdout.lines.at(-1)!);
  const deadline = Date.now() + 90_000;
  while (await lag(redis, admin, config) > 0) {
    if (Date.now() > deadline) throw new Error("the processor did not catch up in 90 s");
    await sleep(100);
  }
  say("the processor has counted the whole topic; asking the HTTP server for every user");

  // The truth, from the topic itself: every valid click, by user.
  const truth = new Map<string, number[]>();
  for (const message of await readTopic(config.topic)) {
    const click = parseClick(message.value);
    if (click.ok) {
      truth.set(click.click.user_id, [...(truth.get(click.click.user_id) ?? []), click.click.ts]);
    }
  }
  users = truth.size;

  server = run("server", "server.ts", [], { HTTP_PORT: "0" });
  await server.stderr.waitFor(
    (lines) => lines.some((l) => l.includes("listening on")),
    20_000,
    "the server to listen",
  );
  const base = /listening on (http:\/\/[\d.]+:\d+)/.exec(server.stderr.lines.join("\n"))![1];
  for (const [user, times] of truth) {
    const res = await fetch(`${base}/users/${encodeURIComponent(user)}/clicks?window=5m`);
    const body = await res.json();
    const since = Date.parse(body.since);
    const until = bucketStart(Date.parse(body.as_of), config.bucketMs) + config.bucketMs;
    const rolling = times.filter((ts) => ts >= since && ts < until).length;
    if (res.status !== 200 || body.total !== times.length || body.rolling !== rolling) {
      failures.push(
        `${user}: got ${res.status} total ${body.total} rolling ${body.rolling}, expected ${times.length} and ${rolling}`,
      );
    }
    checked++;
  }
  const sample = await (await fetch(`${base}/users/u-00/clicks?window=5m`)).text();
  say(`GET /users/u-00/clicks?window=5m → ${sample}`);
  const unknown = await fetch(`${base}/users/nobody/clicks`);
  const bad = await fetch(`${base}/users/u-00/clicks?window=90s`);
  say(`GET /users/nobody/clicks → ${unknown.status} ${await unknown.text()}`);
  say(`GET /users/u-00/clicks?window=90s → ${bad.status} ${await bad.text()}`);
  if (unknown.status !== 200 || bad.status !== 400) failures.push("unknown user or bad window");

  deadLettered = new Set((await readTopic(config.dlqTopic)).map((m) => m.key)).size;
  if (deadLettered !== summary.bad) {
    failures.push(`${deadLettered} events dead-lettered, expected ${summary.bad}`);
  }
  if (between === 0) {
    failures.push("no kill landed between a Redis transaction and its Kafka commit");
  }
} catch (err) {
  failures.push((err as Error).message);
} finally {
  await generator?.stop();
  await processor?.stop();
  await server?.stop();
  // The demo's keys, topics and group go; the counts were checked above.
  if (redis) {
    let cursor = "0";
    do {
      const [next, keys] = await redis.scan(cursor, "MATCH", `${config.prefix}:*`, "COUNT", 1000);
      if (keys.length > 0) await redis.unlink(...keys);
      cursor = next;
    } while (cursor !== "0");
    await redis.quit();
  }
  await admin.deleteTopics({ topics: [config.topic, config.dlqTopic] }).catch(() => {});
  await admin.deleteGroups([config.groupId]).catch(() => {});
  await admin.disconnect();
}

if (failures.length > 0) {
  console.log(`FAILED: ${failures.slice(0, 5).join("; ")}`);
  Deno.exit(1);
}
console.log(
  `${summary.sent} clicks from ${users} users (${summary.bad} bad, dead-lettered to ${config.dlqTopic}); ` +
    `processor killed with SIGKILL ${KILLS} times mid-stream (${between} kills between the Redis ` +
    `transaction and the Kafka commit, where resuming from Kafka's offsets would have counted ` +
    `${wouldRecount} messages twice); GET /users/:id/clicks matched the ground truth for all ${checked} users (total and 5m window)`,
);
