/**
 * A throwaway S3 server (versitygw) that sends event notifications to a
 * webhook: the local stand-in for "S3 triggers a Lambda". The shared S3 of
 * `make services` sends no events (versitygw sends them for every bucket, to
 * one URL fixed at start-up), so each Lambda test or demo starts its own, on
 * a free port, with its data in a temporary directory.
 *
 * versitygw refuses to start when the webhook refuses its test event: start
 * the receiver (the relay) first.
 *
 * @module
 */
import { awsConfig } from "../env.ts";

const ROOT = new URL("../../", import.meta.url).pathname;

/** A versitygw process this program started. */
export interface ThrowawayS3 {
  /** `http://127.0.0.1:<port>`, for S3 clients (path-style). */
  endpoint: string;
  /** Stops it and deletes its data. */
  stop(): Promise<void>;
}

/**
 * Starts versitygw on loopback `port` (0, the default: a free one) with
 * `--event-webhook-url`, and waits until its health endpoint answers.
 *
 * @example
 * ```ts
 * const s3 = await startS3Server("http://127.0.0.1:9500/");
 * try {
 *   console.log(s3.endpoint); // http://127.0.0.1:41234
 * } finally {
 *   await s3.stop();
 * }
 * ```
 */
export async function startS3Server(webhookUrl: string, port = 0): Promise<ThrowawayS3> {
  const bin = await new Deno.Command(`${ROOT}infra/services.sh`, {
    args: ["bin", "versitygw"],
    stderr: "inherit",
  }).output();
  if (!bin.success) throw new Error("Cannot install versitygw");
  if (port === 0) {
    const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    port = listener.addr.port;
    listener.close();
  }
  const dir = await Deno.makeTempDir({ prefix: "drills-s3-" });
  await Deno.mkdir(`${dir}/data`);
  await Deno.mkdir(`${dir}/meta`);
  const { credentials } = awsConfig();
  let child: Deno.ChildProcess;
  try {
    child = new Deno.Command(new TextDecoder().decode(bin.stdout).trim(), {
      args: [
        "--port",
        `127.0.0.1:${port}`,
        "--health",
        "/health",
        "--region",
        awsConfig().region,
        "--event-webhook-url",
        webhookUrl,
        "posix",
        "--sidecar",
        `${dir}/meta`,
        `${dir}/data`,
      ],
      env: {
        ROOT_ACCESS_KEY: credentials.accessKeyId,
        ROOT_SECRET_KEY: credentials.secretAccessKey,
      },
      stdin: "null",
      stdout: "null",
      stderr: "piped",
    }).spawn();
  } catch (err) {
    await Deno.remove(dir, { recursive: true });
    throw err;
  }
  const stderr = child.stderr.pipeThrough(new TextDecoderStream());
  let errors = "";
  const pump = (async () => {
    for await (const chunk of stderr) errors = (errors + chunk).slice(-2000);
  })();
  let exited = false;
  child.status.then(() => exited = true);
  const endpoint = `http://127.0.0.1:${port}`;
  const stop = async () => {
    try {
      child.kill("SIGTERM");
    } catch {
      // Already exited.
    }
    await child.status;
    await pump;
    await Deno.remove(dir, { recursive: true });
  };
  const deadline = Date.now() + 10_000;
  while (true) {
    try {
      const health = await fetch(`${endpoint}/health`);
      await health.body?.cancel();
      if (health.ok) break;
    } catch {
      // Not listening yet.
    }
    if (exited || Date.now() > deadline) {
      await stop();
      throw new Error(
        `Cannot start versitygw on port ${port} with events to ${webhookUrl}: ${errors}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return { endpoint, stop };
}
