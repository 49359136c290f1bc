/**
 * AWS client settings for the Lambda handlers (exercises 03 and 09), from
 * env vars in one place. The defaults point at `make services`; in AWS the
 * deploy scripts set the real endpoints, and Lambda sets the credentials
 * (with a session token) itself.
 *
 * @module
 */

/** What an S3 or DynamoDB client of the handlers needs. */
export interface AwsSettings {
  /** `AWS_REGION`. Default `us-east-1`. */
  region: string;
  /** `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY` (default `test`/`test`), `AWS_SESSION_TOKEN` if set. */
  credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  /** `S3_ENDPOINT`. Default `http://127.0.0.1:7070`. */
  s3Endpoint: string;
  /** `S3_FORCE_PATH_STYLE`: `true` (default, what local servers need) or `false`. */
  forcePathStyle: boolean;
  /** `DYNAMODB_ENDPOINT`. Default `http://127.0.0.1:8000`. */
  dynamodbEndpoint: string;
}

/**
 * Reads a setting: the env value, trimmed, or the fallback when unset; an
 * empty value is an error naming the variable.
 *
 * @example
 * ```ts
 * setting({ ROWS_TABLE: "rows" }, "ROWS_TABLE", "x"); // "rows"
 * ```
 */
export function setting(vars: Record<string, string | undefined>, name: string, fallback: string) {
  const value = vars[name] ?? fallback;
  if (value.trim() === "") {
    throw new TypeError(`Cannot use '${name}' as it is empty: unset it to use "${fallback}"`);
  }
  return value.trim();
}

function endpoint(vars: Record<string, string | undefined>, name: string, fallback: string) {
  const value = setting(vars, name, fallback);
  if (!/^https?:\/\/[^/\s]+\/?$/.test(value)) {
    throw new TypeError(
      `Cannot use '${name}' as it is not an http(s)://host[:port] URL: current value is "${value}"`,
    );
  }
  return value.replace(/\/$/, "");
}

/**
 * Reads the AWS settings from the environment (or from `vars`, for tests).
 *
 * @example
 * ```ts
 * readAwsSettings({ S3_ENDPOINT: "https://s3.eu-west-1.amazonaws.com", S3_FORCE_PATH_STYLE: "false" });
 * ```
 */
export function readAwsSettings(
  vars: Record<string, string | undefined> = Deno.env.toObject(),
): AwsSettings {
  const pathStyle = setting(vars, "S3_FORCE_PATH_STYLE", "true");
  if (pathStyle !== "true" && pathStyle !== "false") {
    throw new TypeError(
      `Cannot use 'S3_FORCE_PATH_STYLE' as it is not true or false: current value is "${pathStyle}"`,
    );
  }
  const sessionToken = vars.AWS_SESSION_TOKEN?.trim();
  return {
    region: setting(vars, "AWS_REGION", "us-east-1"),
    credentials: {
      accessKeyId: setting(vars, "AWS_ACCESS_KEY_ID", "test"),
      secretAccessKey: setting(vars, "AWS_SECRET_ACCESS_KEY", "test"),
      ...(sessionToken ? { sessionToken } : {}),
    },
    s3Endpoint: endpoint(vars, "S3_ENDPOINT", "http://127.0.0.1:7070"),
    forcePathStyle: pathStyle === "true",
    dynamodbEndpoint: endpoint(vars, "DYNAMODB_ENDPOINT", "http://127.0.0.1:8000"),
  };
}
