/**
 * The end-to-end check of one exercise's compose stack, run by
 * `infra/docker.sh test` after `infra/compose.sh up NN`: it reads what the
 * containers printed and, for a server, calls it from the host. Exits 1 with
 * the reason when the stack does not do its job.
 *
 * @example
 * ```sh
 * deno run -A infra/docker/check.ts 07
 * ```
 * @module
 */

const nn = Deno.args[0];

async function docker(...args: string[]): Promise<string> {
  const out = await new Deno.Command("docker", { args, stderr: "piped" }).output();
  if (!out.success) {
    throw new Error(`docker ${args.join(" ")}: ${new TextDecoder().decode(out.stderr).trim()}`);
  }
  return new TextDecoder().decode(out.stdout);
}

const container = (service: string) => `drills-ex${nn}-${service}-1`;

/** Waits for a one-shot service to exit; throws unless it exited 0. */
async function exitedOk(service: string, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const [status, code] = (await docker(
      "inspect",
      "-f",
      "{{.State.Status}} {{.State.ExitCode}}",
      container(service),
    )).trim().split(" ");
    if (status === "exited") {
      if (code !== "0") throw new Error(`${service} exited ${code}:\n${await allLogs(service)}`);
      return;
    }
    if (Date.now() > deadline) throw new Error(`${service} still ${status} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** What a service printed on stdout. */
const logs = (service: string) => docker("logs", container(service));

/** What a service printed on stdout and stderr, in that order. */
async function allLogs(service: string): Promise<string> {
  const out = await new Deno.Command("docker", { args: ["logs", container(service)] }).output();
  return new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
}

/** Its stdout lines that are JSON objects. */
async function jsonLines(service: string): Promise<Record<string, unknown>[]> {
  return (await logs(service)).split("\n").filter((l) => l.startsWith("{")).map((l) =>
    JSON.parse(l)
  );
}

/** The repo root, where the samples are. */
const root = new URL("../..", import.meta.url).pathname.replace(/\/$/, "");

/** An S3 client for the stack's S3 service, on its host port. */
async function hostS3() {
  const { s3Client } = await import("../lambda/upload.ts");
  return s3Client({
    S3_ENDPOINT: `http://127.0.0.1:${Deno.env.get("S3_HOST_PORT") ?? "7070"}`,
  });
}

function expect(ok: boolean, what: string): void {
  if (!ok) throw new Error(what);
}

async function until(check: () => Promise<boolean>, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`Timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

const checks: Record<string, () => Promise<void>> = {
  // The producer publishes the sample; the consumer prints exactly the orders over 10000.
  async "01"() {
    await exitedOk("producer");
    const [summary] = (await jsonLines("producer")).slice(-1);
    expect(
      summary?.published === 10 && summary?.rejected === 9,
      `producer ${JSON.stringify(summary)}`,
    );
    const expected = ["1018", "o-1002", "o-1004", "o-1006", "o-1015", "o-1019"];
    let ids: string[] = [];
    await until(
      async () => {
        ids = (await jsonLines("consumer")).map((l) => (l.order as { order_id: string }).order_id);
        return ids.length >= expected.length;
      },
      60_000,
      "the consumer to print the orders above 10000",
    );
    expect(JSON.stringify(ids.toSorted()) === JSON.stringify(expected), `printed ${ids}`);
  },
  // 1,000 payments, every 100th poison: 990 processed, 10 dead-lettered.
  async "02"() {
    await exitedOk("producer");
    let processed = 0, dead = 0;
    await until(
      async () => {
        const text = await allLogs("consumer");
        const lines = text.split("\n");
        processed = new Set(
          lines.filter((l) => l.startsWith("{")).map((l) => JSON.parse(l).payment_id),
        ).size;
        dead = lines.filter((l) => l.includes("dead-lettered")).length;
        return processed >= 990 && dead >= 10;
      },
      90_000,
      "990 payments processed and 10 dead-lettered",
    );
    expect(processed === 990 && dead === 10, `${processed} processed, ${dead} dead-lettered`);
  },
  // A CSV uploaded to S3 from the host goes through the relay to the function,
  // and its row count lands in DynamoDB.
  async "03"() {
    await exitedOk("setup");
    const { PutObjectCommand } = await import("@aws-sdk/client-s3");
    const { DynamoDBClient, GetItemCommand } = await import("@aws-sdk/client-dynamodb");
    const s3 = await hostS3();
    const key = `docker-check/${crypto.randomUUID()}.csv`;
    const body = await Deno.readFile(`${root}/exercises/03/samples/orders.csv`);
    await s3.send(new PutObjectCommand({ Bucket: "csv-uploads", Key: key, Body: body }));
    const dynamodb = new DynamoDBClient({
      region: "us-east-1",
      credentials: { accessKeyId: "test", secretAccessKey: "test" },
      endpoint: `http://127.0.0.1:${Deno.env.get("DYNAMODB_HOST_PORT") ?? "8000"}`,
    });
    let item: Record<string, { S?: string; N?: string }> | undefined;
    await until(
      async () => {
        item = (await dynamodb.send(
          new GetItemCommand({
            TableName: "csv-row-counts",
            Key: { object: { S: `s3://csv-uploads/${key}` } },
          }),
        )).Item;
        return item !== undefined;
      },
      60_000,
      `the count of ${key} in DynamoDB`,
    );
    // orders.csv: a header and 5 orders of 5 columns.
    expect(
      item?.rows?.N === "5" && item?.columns?.N === "5",
      `item ${JSON.stringify(item)}\n${await allLogs("function")}`,
    );
  },

  // The one-shot lookup: a miss, then a hit from Redis, then the rest.
  async "04"() {
    await exitedOk("lookup");
    const lines = await jsonLines("lookup");
    expect(lines.length === 5, `lookup printed ${lines.length} lines, not 5`);
    const sources = lines.map((l) => l.source);
    expect(sources[0] === "api" && sources[1] === "redis", `sources ${sources}`);
  },
  // The chain and the chord complete, with primes.
  async "05"() {
    for (const pattern of ["chain", "chord"]) {
      await exitedOk(pattern);
      const [flow] = (await jsonLines(pattern)).slice(-1);
      expect(flow?.state === "completed", `${pattern}: ${JSON.stringify(flow)}`);
      expect(Number(flow.primes) > 0, `${pattern}: no primes`);
    }
  },
  // Every quote job ends: completed within 4 attempts, or failed with its reason (the 404).
  async "06"() {
    await exitedOk("enqueue");
    const jobs = await jsonLines("enqueue");
    expect(jobs.length > 0, "enqueue printed no job");
    for (const job of jobs) {
      const ok = job.state === "completed" && Number(job.attempts) <= 4;
      const failed = job.state === "failed" && typeof job.reason === "string";
      expect(ok || failed, `job ${JSON.stringify(job)}`);
    }
    expect(jobs.some((j) => j.state === "completed"), "no job completed");
  },
  // The API from the host: a record written, read back, a 404 and a 400.
  async "07"() {
    const base = `http://127.0.0.1:${Deno.env.get("API_PORT") ?? "3000"}`;
    await until(async () => (await fetch(`${base}/healthz`)).ok, 60_000, "the API's /healthz");
    const posted = await fetch(`${base}/records`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ customer_id: "c-42", amount: 15999 }),
    });
    expect(posted.status === 201, `POST answered ${posted.status}`);
    const record = await posted.json();
    const got = await fetch(`${base}/records/${record.id}`);
    expect(got.status === 200, `GET answered ${got.status}`);
    expect(JSON.stringify(await got.json()) === JSON.stringify(record), "read back differs");
    const missing = await fetch(`${base}/records/${crypto.randomUUID()}`);
    await missing.body?.cancel();
    expect(missing.status === 404, `unknown id answered ${missing.status}`);
    const bad = await fetch(`${base}/records`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{",
    });
    await bad.body?.cancel();
    expect(bad.status === 400, `bad body answered ${bad.status}`);
  },
  // Every click the generator sent is counted once: the users' totals over HTTP add up.
  async "08"() {
    await exitedOk("generator", 180_000);
    const [summary] = (await jsonLines("generator")).slice(-1);
    const valid = Number(summary.sent) - Number(summary.bad);
    const base = `http://127.0.0.1:${Deno.env.get("HTTP_HOST_PORT") ?? "8080"}`;
    let total = 0;
    await until(
      async () => {
        total = 0;
        for (let u = 0; u < 100; u++) { // the generator's default 100 users, u-00 to u-99
          const res = await fetch(`${base}/users/u-${String(u).padStart(2, "0")}/clicks?window=5m`);
          total += Number((await res.json()).total);
        }
        return total >= valid;
      },
      60_000,
      `${valid} clicks counted`,
    );
    expect(total === valid, `counted ${total}, sent ${valid} valid clicks`);
  },
  // Orders uploaded to S3 from the host go through the relay to the function,
  // and their summary lands in the output bucket, byte for byte what the
  // plain-TypeScript reference makes of them.
  async "09"() {
    await exitedOk("setup");
    const { GetObjectCommand, PutObjectCommand } = await import("@aws-sdk/client-s3");
    const { transformOrdersPlain } = await import("../../exercises/09/reference.ts");
    const s3 = await hostS3();
    const name = crypto.randomUUID();
    const body = await Deno.readFile(`${root}/exercises/09/samples/orders.json`);
    await s3.send(
      new PutObjectCommand({ Bucket: "orders-raw", Key: `docker-check/${name}.json`, Body: body }),
    );
    const outKey = `summaries/docker-check/${name}.ndjson`;
    let written = "";
    await until(
      async () => {
        const got = await s3.send(
          new GetObjectCommand({ Bucket: "orders-summaries", Key: outKey }),
        );
        written = await got.Body!.transformToString();
        return true;
      },
      90_000,
      `s3://orders-summaries/${outKey}`,
    );
    const expected = new TextDecoder().decode(transformOrdersPlain(body).ndjson);
    expect(
      written === expected,
      `wrote:\n${written}\nexpected:\n${expected}\n${await allLogs("function")}`,
    );
  },
  // Every enqueued task is done, each by a worker that printed its id.
  async "10"() {
    await exitedOk("enqueue");
    const [{ added }] = await jsonLines("enqueue");
    let done: Record<string, unknown>[] = [];
    await until(
      async () => {
        done = (await jsonLines("worker")).filter((e) => e.event === "done");
        return done.length >= Number(added);
      },
      120_000,
      `${added} tasks done`,
    );
    expect(new Set(done.map((e) => e.job)).size === Number(added), "a task done twice");
    expect(done.every((e) => typeof e.worker === "string" && e.worker !== ""), "a worker id");
  },
};

const check = checks[nn];
if (!check) {
  console.error(`check: no check for exercise ${nn}: expected one of ${Object.keys(checks)}`);
  Deno.exit(2);
}
try {
  await check();
  console.error(`check: exercise ${nn} ok`);
} catch (err) {
  console.error(`check: exercise ${nn} failed: ${(err as Error).message}`);
  Deno.exit(1);
}
