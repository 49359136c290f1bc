/**
 * Exercise 09's settings, read from env vars in one place (the AWS client
 * settings are in `infra/lambda/aws.ts`, shared with exercise 03). A bad
 * value fails the function with a message naming the variable.
 *
 * @module
 */
import { type AwsSettings, readAwsSettings, setting } from "../../infra/lambda/aws.ts";
import { checkPrefix } from "./output_key.ts";

/** Everything the transform function can be told. */
export interface Config extends AwsSettings {
  /** `OUTPUT_BUCKET`: where summaries are written. Default `orders-summaries`. */
  outputBucket: string;
  /** `OUTPUT_PREFIX`: the key prefix of every summary, `""` or ending in `/`. Default `summaries/`. */
  outputPrefix: string;
  /**
   * `MAX_INPUT_MB`: the largest input read, in MiB. Polars needs the whole
   * object in memory, plus its frames: the bench measured the runtime at 5.6
   * to 6.8 times the input on 64 MiB. Default 128 (for a 1024 MB function).
   */
  maxInputBytes: number;
}

/**
 * Reads the config from the environment (or from `vars`, for tests).
 *
 * @example
 * ```ts
 * readConfig({ OUTPUT_BUCKET: "summaries-bucket" }).outputPrefix; // "summaries/"
 * ```
 */
export function readConfig(vars: Record<string, string | undefined> = Deno.env.toObject()): Config {
  const outputBucket = setting(vars, "OUTPUT_BUCKET", "orders-summaries");
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(outputBucket)) {
    throw new TypeError(
      `Cannot use 'OUTPUT_BUCKET' as it is not an S3 bucket name: current value is "${outputBucket}"`,
    );
  }
  // Empty is allowed here: summaries at the top of the bucket.
  const outputPrefix = (vars.OUTPUT_PREFIX ?? "summaries/").trim();
  try {
    checkPrefix(outputPrefix);
  } catch {
    throw new TypeError(
      `Cannot use 'OUTPUT_PREFIX' as it is not "" or clean segments ending in '/': current value is "${outputPrefix}"`,
    );
  }
  const rawMax = setting(vars, "MAX_INPUT_MB", "128");
  const maxMb = Number(rawMax);
  if (!/^\d+$/.test(rawMax) || maxMb < 1) {
    throw new RangeError(
      `Cannot use 'MAX_INPUT_MB' as it is not a positive integer: current value is "${rawMax}"`,
    );
  }
  return {
    ...readAwsSettings(vars),
    outputBucket,
    outputPrefix,
    maxInputBytes: maxMb * 1024 * 1024,
  };
}
