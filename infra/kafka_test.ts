/**
 * kafkajs 2.2.4 (2023) against the Kafka 4.x broker `make services` starts:
 * Kafka 4.0 dropped old protocol versions (KIP-896), so the calls the
 * exercises rely on are proved here once, including a manual commit.
 */
import assert from "node:assert/strict";
import { newProducer, PARTITIONER } from "./kafka.ts";
import { requireService, testKafka, uniqueName, withTopics } from "./testing.ts";
import { kafkaClasspath } from "./kafka_cluster.ts";

/** Reads from `topic` with a manual-commit consumer until `count` messages, committing each. */
async function consumeAndCommit(topic: string, groupId: string, count: number): Promise<string[]> {
  const consumer = testKafka().consumer({ groupId });
  const seen: string[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`only ${seen.length} of ${count}`)), 20_000);
      consumer.run({
        autoCommit: false,
        eachMessage: async ({ partition, message }) => {
          if (seen.length >= count) return;
          seen.push(message.value!.toString());
          // The committed offset is the NEXT one to read: offset + 1 (int64 as a string).
          const next = (BigInt(message.offset) + 1n).toString();
          await consumer.commitOffsets([{ topic, partition, offset: next }]);
          if (seen.length === count) {
            clearTimeout(timer);
            resolve();
          }
        },
      }).catch(reject);
    });
  } finally {
    await consumer.disconnect();
  }
  return seen;
}

Deno.test("kafkajs produces, joins a group and commits manually on the Kafka 4 broker", async () => {
  await requireService("kafka");
  const topic = uniqueName("test-compat");
  const groupId = uniqueName("test-group");
  await withTopics([topic], async (admin) => {
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
    const producer = newProducer(testKafka());
    await producer.connect();
    await producer.send({
      topic,
      acks: -1,
      messages: ["m0", "m1", "m2", "m3", "m4"].map((value) => ({ value })),
    });
    await producer.disconnect();

    assert.deepEqual(await consumeAndCommit(topic, groupId, 2), ["m0", "m1"]);
    const committed = await admin.fetchOffsets({ groupId, topics: [topic] });
    assert.equal(committed[0].partitions[0].offset, "2");
    // A new member of the same group starts at the committed offset.
    assert.deepEqual(await consumeAndCommit(topic, groupId, 3), ["m2", "m3", "m4"]);
  });
});

Deno.test("PARTITIONER puts a key in the partition the Java client picks for it", async () => {
  // The Java producer's own code (kafka-clients, from the jars `make services` installed).
  const cp = await kafkaClasspath();
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(
      `${dir}/Partitions.java`,
      `import org.apache.kafka.clients.producer.internals.BuiltInPartitioner;
public class Partitions {
  public static void main(String[] args) throws Exception {
    var in = new java.io.BufferedReader(new java.io.InputStreamReader(System.in, "UTF-8"));
    for (String key; (key = in.readLine()) != null;) {
      var bytes = key.getBytes("UTF-8");
      System.out.println(BuiltInPartitioner.partitionForKey(bytes, 3) + " " + BuiltInPartitioner.partitionForKey(bytes, 7));
    }
  }
}
`,
    );
    const keys = Array.from({ length: 500 }, (_, i) => `c-${i}-${"₹é𝄞".slice(0, i % 4)}`);
    const java = new Deno.Command("java", {
      args: ["-cp", cp, `${dir}/Partitions.java`],
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const writer = java.stdin.getWriter();
    await writer.write(new TextEncoder().encode(keys.join("\n") + "\n"));
    await writer.close();
    const out = await java.output();
    assert.ok(out.success, new TextDecoder().decode(out.stderr));
    const expected = new TextDecoder().decode(out.stdout).trim().split("\n");

    const partitioner = PARTITIONER();
    const metadata = (n: number) =>
      Array.from(
        { length: n },
        (_, partitionId) => ({
          partitionId,
          partitionErrorCode: 0,
          leader: 1,
          replicas: [1],
          isr: [1],
        }),
      );
    const ours = keys.map((key) =>
      [3, 7].map((n) =>
        partitioner({ topic: "t", partitionMetadata: metadata(n), message: { key, value: null } })
      ).join(" ")
    );
    assert.deepEqual(ours, expected);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("infra/kafka.ts changes no process-wide state when imported", async () => {
  const code = `import process from "node:process";
const before = process.listeners("warning").length;
await import(${JSON.stringify(new URL("./kafka.ts", import.meta.url).href)});
console.log(JSON.stringify([before, process.listeners("warning").length]));`;
  const out = await new Deno.Command(Deno.execPath(), { args: ["eval", code], stderr: "inherit" })
    .output();
  const [before, after] = JSON.parse(new TextDecoder().decode(out.stdout));
  assert.equal(after, before);
});
