/**
 * A throwaway Kafka cluster on free loopback ports, for the tests that kill
 * brokers (issue 14): three brokers and a quorum of three controllers of their
 * own, from the same jars as `make services`. Topics get replication factor 3
 * and min.insync.replicas 2 by default, so acks=all survives one broker down
 * and refuses writes (NOT_ENOUGH_REPLICAS) with two down.
 *
 * The controllers are separate processes so that killing brokers never takes
 * the controller quorum with it: with combined nodes, two dead nodes would also
 * be two dead voters, no leader could be elected and no ISR shrunk, and a
 * producer would only ever see timeouts.
 *
 * @example
 * ```ts
 * const cluster = await startKafkaCluster();
 * try {
 *   await cluster.kill(1); // SIGKILL broker 1
 *   await cluster.restart(1); // same data, same port
 * } finally {
 *   await cluster.stop();
 * }
 * ```
 * @module
 */
import { type Admin, Kafka, logLevel } from "kafkajs";

const ROOT = new URL("../", import.meta.url).pathname;

/** A cluster this program started. */
export interface KafkaCluster {
  /** `127.0.0.1:<port>` of every broker, in broker-id order (ids 1, 2, 3…). */
  brokers: string[];
  /** The broker ids. */
  ids: number[];
  /** The cluster's files (configs, data, one log per node). */
  dir: string;
  /** True while broker `id` runs. */
  running(id: number): boolean;
  /** SIGKILL broker `id`: gone at once, like a crash or a pulled plug. */
  kill(id: number): Promise<void>;
  /** Starts broker `id` again on its port with its data; resolves once it has started. */
  restart(id: number): Promise<void>;
  /** Kills every node and removes `dir`. */
  stop(): Promise<void>;
}

/** Options for {@linkcode startKafkaCluster}. */
export interface KafkaClusterOptions {
  /** Brokers (ids 1…n). Default 3. */
  brokers?: number;
  /** Controllers, a quorum of their own (ids 101…). Default 3. */
  controllers?: number;
  /** Broker settings added to (or replacing) the defaults below. */
  brokerProperties?: Record<string, string>;
  /** Where the cluster's files go (emptied first). Default a new temporary folder. */
  dir?: string;
  /** Fixed ports instead of free ones: one per broker, one per controller. */
  ports?: { brokers: number[]; controllers: number[] };
}

interface Node {
  id: number;
  role: "broker" | "controller";
  port: number;
  dir: string;
  child?: Deno.ChildProcess;
}

/**
 * Starts the cluster (about 10–20 s on two cores) and resolves once every
 * broker has registered with the controllers.
 */
export async function startKafkaCluster(options: KafkaClusterOptions = {}): Promise<KafkaCluster> {
  const { brokers: brokerCount = 3, controllers: controllerCount = 3 } = options;
  const classpath = await kafkaClasspath();
  let dir = options.dir;
  if (dir) {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
    await Deno.mkdir(dir, { recursive: true });
  } else {
    dir = await Deno.makeTempDir({ prefix: "kafka-cluster-" });
  }
  const ports = options.ports
    ? [...options.ports.controllers, ...options.ports.brokers]
    : freePorts(brokerCount + controllerCount);
  if (ports.length !== brokerCount + controllerCount) {
    throw new Error(
      `${ports.length} ports for ${brokerCount} brokers and ${controllerCount} controllers`,
    );
  }
  const controllers: Node[] = [];
  const brokers: Node[] = [];
  for (let i = 0; i < controllerCount; i++) {
    controllers.push({
      id: 101 + i,
      role: "controller",
      port: ports[i],
      dir: `${dir}/c${101 + i}`,
    });
  }
  for (let i = 0; i < brokerCount; i++) {
    brokers.push({
      id: 1 + i,
      role: "broker",
      port: ports[controllerCount + i],
      dir: `${dir}/b${i + 1}`,
    });
  }
  const voters = controllers.map((c) => `${c.id}@127.0.0.1:${c.port}`).join(",");
  const replicas = String(Math.min(3, brokerCount));
  const minIsr = String(Math.min(2, brokerCount));
  const common = {
    "controller.quorum.voters": voters,
    "controller.listener.names": "CONTROLLER",
    "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
    // The controllers publish their own min.insync.replicas as the cluster's
    // default (it overrides the brokers'), so they must say 2 too.
    "min.insync.replicas": minIsr,
    "default.replication.factor": replicas,
  };
  for (const node of [...controllers, ...brokers]) {
    const properties: Record<string, string> = node.role === "controller"
      ? {
        ...common,
        "process.roles": "controller",
        "listeners": `CONTROLLER://127.0.0.1:${node.port}`,
      }
      : {
        ...common,
        "process.roles": "broker",
        "listeners": `PLAINTEXT://127.0.0.1:${node.port}`,
        "advertised.listeners": `PLAINTEXT://127.0.0.1:${node.port}`,
        "inter.broker.listener.name": "PLAINTEXT",
        "num.partitions": "1",
        // One __consumer_offsets partition: a group's coordinator is its leader.
        "offsets.topic.num.partitions": "1",
        "offsets.topic.replication.factor": replicas,
        "transaction.state.log.replication.factor": replicas,
        "transaction.state.log.min.isr": minIsr,
        "share.coordinator.state.topic.replication.factor": replicas,
        "share.coordinator.state.topic.min.isr": minIsr,
        "group.initial.rebalance.delay.ms": "0",
        "group.min.session.timeout.ms": "6000",
        "auto.create.topics.enable": "false",
        ...options.brokerProperties,
      };
    await Deno.mkdir(node.dir, { recursive: true });
    const text = Object.entries({
      ...properties,
      "node.id": String(node.id),
      "log.dirs": `${node.dir}/data`,
    })
      .map(([k, v]) => `${k}=${v}`).join("\n");
    await Deno.writeTextFile(`${node.dir}/server.properties`, text + "\n");
  }

  const java = (node: Node) => [
    "java",
    node.role === "controller" ? "-Xmx256m" : "-Xmx512m",
    "-Xms64m",
    "-XX:+UseSerialGC",
    "-cp",
    classpath,
    `-Dlog4j2.configurationFile=${ROOT}infra/kafka/log4j2.properties`,
  ];
  const all = [...controllers, ...brokers];
  await formatStorage(all, java(controllers[0]), classpath);

  const start = async (node: Node) => {
    const log = `${node.dir}/log`;
    const before = await startedLines(log);
    const command = [...java(node), "kafka.Kafka", `${node.dir}/server.properties`];
    node.child = new Deno.Command("sh", {
      args: ["-c", `exec "$@" >>'${log}' 2>&1`, "sh", ...command],
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).spawn();
    const child = node.child;
    await Deno.writeTextFile(`${node.dir}/pid`, `${child.pid}\n`);
    let exited = false;
    child.status.then(() => {
      exited = true;
      // Killed by someone else (by hand, from its pid file): no longer running.
      if (node.child === child) node.child = undefined;
    });
    const deadline = Date.now() + 90_000;
    while ((await startedLines(log)) <= before) {
      if (exited) {
        throw new Error(`Kafka ${node.role} ${node.id} exited during start-up; see ${log}`);
      }
      if (Date.now() > deadline) {
        throw new Error(`Kafka ${node.role} ${node.id} not started in 90 s; see ${log}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  };
  const kill = async (node: Node) => {
    const child = node.child;
    if (!child) return;
    node.child = undefined;
    try {
      child.kill("SIGKILL");
    } catch {
      // Already exited.
    }
    await child.status;
  };
  const stopAll = async () => {
    await Promise.all(all.map(kill));
    await Deno.remove(dir!, { recursive: true }).catch(() => {});
  };
  // A test that dies before stop() must not leave six JVMs behind.
  const onUnload = () => {
    for (const node of all) {
      try {
        node.child?.kill("SIGKILL");
      } catch {
        // Already exited.
      }
    }
  };
  globalThis.addEventListener("unload", onUnload);

  try {
    await Promise.all(controllers.map(start));
    await Promise.all(brokers.map(start));
    await waitForBrokers(brokers.map((b) => `127.0.0.1:${b.port}`), brokers.length);
  } catch (err) {
    await stopAll();
    throw err;
  }
  const byId = (id: number) => {
    const node = brokers.find((b) => b.id === id);
    if (!node) {
      throw new Error(`No broker ${id}: the cluster has ${brokers.map((b) => b.id).join(", ")}`);
    }
    return node;
  };
  return {
    brokers: brokers.map((b) => `127.0.0.1:${b.port}`),
    ids: brokers.map((b) => b.id),
    dir,
    running: (id) => byId(id).child !== undefined,
    kill: (id) => kill(byId(id)),
    async restart(id) {
      const node = byId(id);
      if (node.child) throw new Error(`Cannot restart broker ${id}: it is running`);
      await start(node);
    },
    async stop() {
      globalThis.removeEventListener("unload", onUnload);
      await stopAll();
    },
  };
}

/** Resolves once the controllers list `count` live brokers (a restarted one is back). */
export async function waitForBrokers(brokers: string[], count: number, timeoutMs = 60_000) {
  const kafka = new Kafka({ brokers, logLevel: logLevel.NOTHING, connectionTimeout: 2000 });
  const admin = kafka.admin();
  const deadline = Date.now() + timeoutMs;
  let seen = 0;
  try {
    for (;;) {
      try {
        await admin.connect();
        seen = (await admin.describeCluster()).brokers.length;
        if (seen >= count) return;
      } catch {
        // A broker still starting (or just killed): ask again.
      }
      if (Date.now() > deadline) {
        throw new Error(`${seen} of ${count} brokers up after ${timeoutMs} ms`);
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  } finally {
    await admin.disconnect();
  }
}

/** The broker id that leads `topic`'s `partition` now (-1 while it has none). */
export async function leaderOf(admin: Admin, topic: string, partition = 0): Promise<number> {
  const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
  return topics[0].partitions.find((p) => p.partitionId === partition)?.leader ?? -1;
}

/** The broker id of a group's coordinator: the leader of `__consumer_offsets` (one partition here). */
export function coordinatorOf(admin: Admin): Promise<number> {
  return leaderOf(admin, "__consumer_offsets", 0);
}

/** Resolves once every partition of `topic` has `size` replicas in sync (or throws after `timeoutMs`). */
export async function waitForIsr(admin: Admin, topic: string, size: number, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
    if (topics[0].partitions.every((p) => p.isr.length >= size)) return;
    if (Date.now() > deadline) {
      const isr = topics[0].partitions.map((p) => `${p.partitionId}:[${p.isr}]`).join(" ");
      throw new Error(`${topic}: ISR not back to ${size} within ${timeoutMs} ms (${isr})`);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/**
 * Writes each node's formatted storage (meta.properties, and the controllers'
 * bootstrap checkpoint). Formatting costs a JVM start per node, so the result
 * is kept beside the Kafka jars (`infra/services.sh kafka-classpath`, in the
 * cache, one folder per Kafka version) for this shape of cluster, and copied:
 * the files hold the cluster and node ids, not the ports.
 */
async function formatStorage(nodes: Node[], java: string[], classpath: string) {
  const kafkaDir = classpath.replace(/\/libs\/\*$/, "");
  const template = `${kafkaDir}/cluster-storage-${nodes.map((n) => n.id).join("-")}`;
  if (!(await exists(`${template}/.complete`))) {
    const tmp = `${template}.tmp-${Deno.pid}`;
    await Deno.mkdir(tmp, { recursive: true });
    const clusterId = await run([...java, "kafka.tools.StorageTool", "random-uuid"]);
    // Two JVMs at a time on two cores.
    for (let i = 0; i < nodes.length; i += 2) {
      await Promise.all(
        nodes.slice(i, i + 2).map(async (node) => {
          const config = `${tmp}/${node.id}.properties`;
          const text = await Deno.readTextFile(`${node.dir}/server.properties`);
          await Deno.writeTextFile(
            config,
            text.replace(/^log\.dirs=.*$/m, `log.dirs=${tmp}/${node.id}`),
          );
          await run([...java, "kafka.tools.StorageTool", "format", "-t", clusterId, "-c", config]);
          await Deno.remove(config);
        }),
      );
    }
    await Deno.writeTextFile(`${tmp}/.complete`, "");
    await Deno.remove(template, { recursive: true }).catch(() => {});
    await Deno.rename(tmp, template).catch(() => Deno.remove(tmp, { recursive: true }));
  }
  for (const node of nodes) {
    await run(["cp", "-r", `${template}/${node.id}`, `${node.dir}/data`]);
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}

/** The Kafka jars of `make services` (installed on first use), as a java `-cp`. */
export async function kafkaClasspath(): Promise<string> {
  const out = await new Deno.Command(`${ROOT}infra/services.sh`, { args: ["kafka-classpath"] })
    .output();
  if (!out.success) throw new Error(new TextDecoder().decode(out.stderr));
  return new TextDecoder().decode(out.stdout).trim();
}

async function run(command: string[]): Promise<string> {
  const out = await new Deno.Command(command[0], { args: command.slice(1) }).output();
  const text = new TextDecoder().decode(out.stdout);
  if (!out.success) {
    throw new Error(`${command.join(" ")} failed: ${text}${new TextDecoder().decode(out.stderr)}`);
  }
  return text.trim().split("\n").at(-1) ?? "";
}

async function startedLines(log: string): Promise<number> {
  try {
    const text = await Deno.readTextFile(log);
    return text.split("\n").filter((l) => /Kafka Server started|KafkaRaftServer.*started/.test(l))
      .length;
  } catch {
    return 0;
  }
}

/** `n` loopback ports free right now (each listened on once, then closed). */
export function freePorts(n: number): number[] {
  const listeners = Array.from(
    { length: n },
    () => Deno.listen({ hostname: "127.0.0.1", port: 0 }),
  );
  const ports = listeners.map((l) => l.addr.port);
  for (const l of listeners) l.close();
  return ports;
}

/**
 * `make services KAFKA_NODES=3` runs this: the cluster on fixed ports, in the
 * foreground, until SIGTERM or SIGINT. Each node's pid is in `<dir>/<node>/pid`
 * (brokers b1…b3, controllers c101…c103), so a broker can be killed by hand;
 * SIGUSR1 starts again every broker that is not running.
 *
 * @example
 * ```sh
 * deno run -A infra/kafka_cluster.ts --dir .services/kafka/cluster \
 *   --broker-ports 9092,9094,9096 --controller-ports 9093,9095,9097
 * ```
 */
async function main(args: string[]) {
  const flag = (name: string) => {
    const i = args.indexOf(name);
    if (i < 0 || !args[i + 1]) throw new Error(`${name} is required`);
    return args[i + 1];
  };
  const ports = (name: string) =>
    flag(name).split(",").map((p) => {
      const port = Number(p);
      if (!Number.isInteger(port) || port < 1 || port > 65535) {
        throw new Error(`${name}: '${p}' is not a port`);
      }
      return port;
    });
  const brokerPorts = ports("--broker-ports");
  const controllerPorts = ports("--controller-ports");
  const cluster = await startKafkaCluster({
    dir: flag("--dir"),
    brokers: brokerPorts.length,
    controllers: controllerPorts.length,
    ports: { brokers: brokerPorts, controllers: controllerPorts },
  });
  console.log(
    `Kafka cluster started: brokers ${cluster.brokers.join(",")} (files in ${cluster.dir})`,
  );
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await cluster.stop();
    Deno.exit(0);
  };
  Deno.addSignalListener("SIGTERM", stop);
  Deno.addSignalListener("SIGINT", stop);
  Deno.addSignalListener("SIGUSR1", async () => {
    for (const id of cluster.ids) {
      if (!cluster.running(id)) {
        await cluster.restart(id);
        console.log(`broker ${id} started again`);
      }
    }
  });
}

if (import.meta.main) {
  try {
    await main(Deno.args);
  } catch (err) {
    console.error(`kafka_cluster: ${(err as Error).message}`);
    Deno.exit(1);
  }
}
