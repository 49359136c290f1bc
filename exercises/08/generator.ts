/**
 * Exercise 08, the click generator: publishes synthetic click events
 * `{user_id, url, ts}` to the clicks topic, keyed by user, as fast as it can
 * or at a given rate, with progress on stderr and one summary line on stdout.
 * `--bad` mixes in a fraction of broken events, for the dead-letter path.
 *
 * @example
 * ```sh
 * deno run -A exercises/08/generator.ts --count 10000 --rate 2000 --users 50 --bad 0.01
 * ```
 * @module
 */
import { parseArgs } from "node:util";
import type { Message } from "kafkajs";
import { type Config, readConfig, topicsOf } from "./config.ts";
import {
  describeKafkaError,
  ensureTopics,
  kafkaClient,
  newProducer,
  quietKafkajsWarnings,
} from "../../infra/kafka.ts";
import { seededRandom } from "../../infra/random.ts";

/** The shape of a run. */
export interface GenerateOptions {
  /** Events to send. */
  count: number;
  /** Events per second; 0 for as fast as possible. Default 0. */
  rate?: number;
  /** Distinct users; a few of them click far more than the rest. Default 100. */
  users?: number;
  /** Fraction of broken events, 0 to 1. Default 0. */
  bad?: number;
  /** Seed of the pseudo-random sequence: the same seed gives the same users, urls and bad events. Default 1. */
  seed?: number;
  /** Events per produce request. Default 500. */
  batchSize?: number;
  /** The click time of each event. Default `Date.now`. */
  now?: () => number;
}

/** One synthetic event, ready to send. */
export interface SyntheticEvent {
  key: string | null;
  value: string;
  bad: boolean;
}

const URLS = ["/", "/search", "/cart", "/checkout", "/product/42", "/product/7", "/help"];

/**
 * The events of a run, one at a time. Broken events rotate through four
 * kinds: cut-off JSON, no user_id, a ts that is not a time, not an object.
 *
 * @example
 * ```ts
 * const [first] = syntheticEvents({ count: 1, now: () => 0 });
 * JSON.parse(first.value); // { user_id: "u-042", url: "/cart", ts: "1970-01-01T00:00:00.000Z" }
 * ```
 */
export function* syntheticEvents(options: GenerateOptions): Generator<SyntheticEvent> {
  const { count, users = 100, bad = 0, seed = 1, now = Date.now } = options;
  const random = seededRandom(seed);
  const width = String(users - 1).length;
  let broken = 0;
  for (let i = 0; i < count; i++) {
    // Squaring skews the choice: low user numbers click more, like real traffic.
    const user = `u-${String(Math.floor(users * random() ** 2)).padStart(width, "0")}`;
    const url = URLS[Math.floor(random() * URLS.length)];
    const ts = new Date(now()).toISOString();
    if (random() >= bad) {
      yield { key: user, value: JSON.stringify({ user_id: user, url, ts }), bad: false };
      continue;
    }
    const kinds = [
      `{"user_id": "${user}", "url": "${url}", "ts": "${ts.slice(0, 10)}`,
      JSON.stringify({ url, ts }),
      JSON.stringify({ user_id: user, url, ts: "yesterday" }),
      JSON.stringify([user, url, ts]),
    ];
    yield { key: user, value: kinds[broken++ % kinds.length], bad: true };
  }
}

/** What one run of the generator did. */
export interface GeneratorSummary {
  topic: string;
  sent: number;
  bad: number;
  seconds: number;
  /** Events per second. */
  rate: number;
  /** True when the run was stopped (SIGINT/SIGTERM) before `count`. */
  interrupted: boolean;
}

/**
 * Sends the events of {@linkcode syntheticEvents} to `config.topic`, in
 * batches, keeping to `rate` when one is given.
 *
 * @example
 * ```ts
 * const summary = await generate(readConfig(), { count: 1000, bad: 0.01 });
 * // { topic: "clicks", sent: 1000, bad: 9, … }
 * ```
 */
export async function generate(
  config: Config,
  options: GenerateOptions,
  run: { signal?: AbortSignal; progressEvery?: number } = {},
): Promise<GeneratorSummary> {
  const { rate = 0, batchSize = 500 } = options;
  const { signal, progressEvery = 1000 } = run;
  if (!Number.isInteger(options.count) || options.count < 0) {
    throw new RangeError(
      `Cannot generate events as the count is not a non-negative integer: current value is ${options.count}`,
    );
  }
  // At a set rate, send about ten batches a second so the rate stays smooth.
  const perBatch = rate > 0 ? Math.max(1, Math.min(batchSize, Math.round(rate / 10))) : batchSize;
  const kafka = kafkaClient(config.brokers, "clicks-generator");
  const admin = kafka.admin();
  const producer = newProducer(kafka);
  const started = performance.now();
  let sent = 0;
  let bad = 0;
  let lastProgress = started;
  let batch: Message[] = [];
  let batchBad = 0;

  const flush = async () => {
    if (batch.length === 0) return;
    await producer.send({ topic: config.topic, acks: -1, messages: batch });
    sent += batch.length;
    bad += batchBad;
    batch = [];
    batchBad = 0;
    const now = performance.now();
    if (progressEvery > 0 && now - lastProgress >= progressEvery) {
      lastProgress = now;
      console.error(
        `generator: ${sent}/${options.count} sent (${bad} bad), ${
          Math.round(sent / ((now - started) / 1000))
        } events/s`,
      );
    }
    if (rate > 0) {
      const due = started + (sent / rate) * 1000;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    }
  };

  try {
    await admin.connect();
    await ensureTopics(admin, topicsOf(config));
    await producer.connect();
    for (const event of syntheticEvents(options)) {
      if (signal?.aborted) break;
      batch.push({ key: event.key, value: event.value });
      if (event.bad) batchBad++;
      if (batch.length >= perBatch) await flush();
    }
    await flush();
  } finally {
    await producer.disconnect();
    await admin.disconnect();
  }
  const seconds = (performance.now() - started) / 1000;
  return {
    topic: config.topic,
    sent,
    bad,
    seconds: Number(seconds.toFixed(3)),
    rate: Math.round(sent / seconds),
    interrupted: signal?.aborted ?? false,
  };
}

/** Reads the command line; throws a RangeError naming the flag on a bad value. */
export function parseFlags(args: string[]): GenerateOptions {
  const { values } = parseArgs({
    args,
    options: {
      count: { type: "string", default: "10000" },
      rate: { type: "string", default: "0" },
      users: { type: "string", default: "100" },
      bad: { type: "string", default: "0" },
      seed: { type: "string", default: "1" },
    },
    strict: true,
    allowPositionals: false,
  });
  const number = (flag: keyof typeof values, ok: (n: number) => boolean, what: string) => {
    const raw = values[flag]!;
    const n = Number(raw);
    if (raw.trim() === "" || !ok(n)) {
      throw new RangeError(
        `Cannot use '--${flag}' as it is not ${what}: current value is "${raw}"`,
      );
    }
    return n;
  };
  return {
    count: number("count", (n) => Number.isInteger(n) && n >= 0, "a non-negative integer"),
    rate: number("rate", (n) => Number.isFinite(n) && n >= 0, "a non-negative number"),
    users: number("users", (n) => Number.isInteger(n) && n >= 1, "a positive integer"),
    bad: number("bad", (n) => n >= 0 && n <= 1, "a fraction from 0 to 1"),
    seed: number("seed", Number.isSafeInteger, "a safe integer"),
  };
}

if (import.meta.main) {
  quietKafkajsWarnings();
  let options;
  try {
    options = parseFlags(Deno.args);
  } catch (err) {
    console.error(`generator: ${(err as Error).message}`);
    console.error(
      "usage: deno run -A exercises/08/generator.ts [--count N] [--rate N/s] [--users N] [--bad 0..1] [--seed N]",
    );
    Deno.exit(2);
  }
  let config;
  try {
    config = readConfig();
    const stop = new AbortController();
    for (const signal of ["SIGINT", "SIGTERM"] as const) {
      Deno.addSignalListener(signal, () => stop.abort());
    }
    const summary = await generate(config, options, { signal: stop.signal });
    console.log(JSON.stringify(summary));
    Deno.exit(summary.interrupted ? 130 : 0);
  } catch (err) {
    console.error(
      `generator: ${config ? describeKafkaError(err, config.brokers) : (err as Error).message}`,
    );
    Deno.exit(1);
  }
}
