/**
 * The cluster's CLI, as `make services KAFKA_NODES=3` runs it: fixed ports,
 * pid files, a broker killed by hand and started again on SIGUSR1, and
 * everything gone after SIGTERM.
 */
import assert from "node:assert/strict";
import { startScript } from "./script.ts";
import { testKafka, until } from "./testing.ts";
import { freePorts, waitForBrokers } from "./kafka_cluster.ts";

const alive = (pid: number) => {
  try {
    Deno.kill(pid, "SIGCONT");
    return true;
  } catch {
    return false;
  }
};

Deno.test({
  name: "kafka_cluster.ts serves three brokers on the given ports; SIGUSR1 restarts a killed " +
    "one; SIGTERM stops every node",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const dir = await Deno.makeTempDir();
    const [b1, b2, b3, c1, c2, c3] = freePorts(6);
    const brokers = [b1, b2, b3].map((p) => `127.0.0.1:${p}`);
    const cli = startScript("infra/kafka_cluster.ts", [
      "--dir",
      `${dir}/cluster`,
      "--broker-ports",
      [b1, b2, b3].join(","),
      "--controller-ports",
      [c1, c2, c3].join(","),
    ]);
    try {
      await cli.stdout.waitFor(
        (l) => l.some((x) => x.startsWith("Kafka cluster started")),
        120_000,
        "start",
      );
      const admin = testKafka(brokers).admin();
      await admin.connect();
      assert.deepEqual(
        (await admin.describeCluster()).brokers.map((b) => b.port).toSorted(),
        [b1, b2, b3].toSorted(),
      );
      await admin.disconnect();
      const pids = ["b1", "b2", "b3", "c101", "c102", "c103"].map((n) =>
        Number(Deno.readTextFileSync(`${dir}/cluster/${n}/pid`))
      );
      Deno.kill(pids[1], "SIGKILL");
      await until(() => !alive(pids[1]), 10_000, "broker 2 gone");
      cli.child.kill("SIGUSR1");
      await cli.stdout.waitFor((l) => l.includes("broker 2 started again"), 90_000, "restart");
      await waitForBrokers(brokers, 3);
      const restarted = Number(Deno.readTextFileSync(`${dir}/cluster/b2/pid`));
      assert.notEqual(restarted, pids[1]);

      assert.equal((await cli.stop("SIGTERM")).code, 0);
      for (const pid of [...pids.filter((_, i) => i !== 1), restarted]) {
        assert.ok(!alive(pid), `pid ${pid} stopped`);
      }
    } finally {
      await cli.stop("SIGTERM");
      await Deno.remove(dir, { recursive: true });
    }
  },
});
