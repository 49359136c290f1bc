/**
 * Exercise 03's settings, read from env vars in one place (the AWS client
 * settings are in `infra/lambda/aws.ts`, shared with exercise 09). A bad
 * value fails the function's start-up with a message naming the variable.
 *
 * @module
 */
import { type AwsSettings, readAwsSettings, setting } from "../../infra/lambda/aws.ts";

/** Everything the row-counting function can be told. */
export interface Config extends AwsSettings {
  /**
   * `ROWS_TABLE`: the DynamoDB table for the counts (partition key `object`,
   * a string). Unset: no table, each count is written as a JSON log line.
   */
  table?: string;
  /** `CSV_HEADER`: `true` (default) when the first record is a header, not a row. */
  header: boolean;
}

/**
 * Reads the config from the environment (or from `vars`, for tests).
 *
 * @example
 * ```ts
 * readConfig({ ROWS_TABLE: "csv-row-counts" }).table; // "csv-row-counts"
 * readConfig({}).table; // undefined: counts go to the log
 * ```
 */
export function readConfig(vars: Record<string, string | undefined> = Deno.env.toObject()): Config {
  const table = vars.ROWS_TABLE === undefined ? undefined : setting(vars, "ROWS_TABLE", "");
  // DynamoDB's own rule, checked here so a typo fails at start-up, not per file.
  if (table !== undefined && !/^[A-Za-z0-9_.-]{3,255}$/.test(table)) {
    throw new TypeError(
      `Cannot use 'ROWS_TABLE' as it is not a DynamoDB table name (3-255 of A-Z a-z 0-9 _ . -): current value is "${table}"`,
    );
  }
  const header = setting(vars, "CSV_HEADER", "true");
  if (header !== "true" && header !== "false") {
    throw new TypeError(
      `Cannot use 'CSV_HEADER' as it is not true or false: current value is "${header}"`,
    );
  }
  return { ...readAwsSettings(vars), table, header: header === "true" };
}
