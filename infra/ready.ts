/**
 * One readiness probe of a native service, for infra/services.sh: exits 0 when
 * the service really answers, 1 (with the cause on stderr) otherwise.
 *
 * @example
 * ```sh
 * deno run -A infra/ready.ts kafka
 * ```
 * @module
 */
import { ENDPOINT_VAR, probe, type Service } from "./probe.ts";

const name = Deno.args[0] as Service;
if (!(name in ENDPOINT_VAR)) {
  console.error(`Cannot probe '${name}': expected one of ${Object.keys(ENDPOINT_VAR)}`);
  Deno.exit(2);
}
try {
  await probe(name, 5_000);
} catch (err) {
  console.error(`${name}: ${(err as Error).message}`);
  Deno.exit(1);
}
