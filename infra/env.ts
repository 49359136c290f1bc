/**
 * Service endpoints shared by infra scripts and tests, from env vars with the
 * defaults in the README's services table (the ports `make services` and the compose files use).
 *
 * @example
 * ```ts
 * import { env } from "./env.ts";
 * const brokers = env("KAFKA_BROKERS").split(","); // ["127.0.0.1:9092"]
 * ```
 */
export const DEFAULTS = {
  KAFKA_BROKERS: "127.0.0.1:9092",
  REDIS_URL: "redis://127.0.0.1:6379",
  S3_ENDPOINT: "http://127.0.0.1:7070",
  DYNAMODB_ENDPOINT: "http://127.0.0.1:8000",
  AWS_REGION: "us-east-1",
  AWS_ACCESS_KEY_ID: "test",
  AWS_SECRET_ACCESS_KEY: "test",
} as const;

export type EnvName = keyof typeof DEFAULTS;

/** The env var's value, or its documented default when unset; empty is an error. */
export function env(name: EnvName): string {
  const value = Deno.env.get(name) ?? DEFAULTS[name];
  if (value.trim() === "") {
    throw new TypeError(
      `Cannot read '${name}' as it is empty: unset it to use "${DEFAULTS[name]}"`,
    );
  }
  return value;
}

/** Region and credentials for AWS SDK clients pointed at the local services. */
export function awsConfig(): {
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
} {
  return {
    region: env("AWS_REGION"),
    credentials: {
      accessKeyId: env("AWS_ACCESS_KEY_ID"),
      secretAccessKey: env("AWS_SECRET_ACCESS_KEY"),
    },
  };
}
