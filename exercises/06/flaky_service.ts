/**
 * The flaky upstream: an HTTP service whose `GET /quotes/:symbol` fails with
 * 503 half of the time (a transient error, worth retrying), and answers 404
 * for a symbol it does not know (a permanent error: retrying cannot help).
 * The failures come from a seeded random source, so a run can be replayed.
 *
 * @example
 * ```sh
 * FLAKY_SEED=7 deno run -A exercises/06/flaky_service.ts     # http://127.0.0.1:8606
 * curl -i http://127.0.0.1:8606/quotes/INFY
 * ```
 * @module
 */
import { seededRandom } from "../../infra/random.ts";
import { readFlakyConfig } from "./config.ts";

/** Symbols the service knows, with a fixed price in paise. */
export const PRICES: Record<string, number> = {
  INFY: 152_035,
  TCS: 398_210,
  HDFCBANK: 171_590,
  RELIANCE: 128_845,
  WIPRO: 24_870,
};

/** Options for {@linkcode startFlakyService}. */
export interface FlakyOptions {
  /** Share of requests that fail with 503, in [0, 1]. Default 0.5. */
  failureRate?: number;
  /** Seed of the random source. Default: a random seed. */
  seed?: number;
  /** Port; 0 picks a free one. Default 0. */
  port?: number;
  /** Address to listen on. Default `127.0.0.1` (a container needs `0.0.0.0`). */
  hostname?: string;
  /** How long each answer takes, as a real upstream's latency. Default 0. */
  latencyMs?: number;
}

/** A running flaky service. */
export interface FlakyService {
  url: string;
  /** Every request, in order, with its outcome. */
  calls: { symbol: string; status: number; at: number }[];
  /** The most requests it was answering at the same time. */
  readonly maxInFlight: number;
  close(): Promise<void>;
}

/** Starts the service (on 127.0.0.1 unless `hostname` says otherwise). */
export function startFlakyService(options: FlakyOptions = {}): FlakyService {
  const {
    failureRate = 0.5,
    seed = Math.floor(Math.random() * 2 ** 32),
    port = 0,
    hostname = "127.0.0.1",
    latencyMs = 0,
  } = options;
  const random = seededRandom(seed);
  const calls: FlakyService["calls"] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const server = Deno.serve({ hostname, port, onListen: () => {} }, async (req) => {
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    try {
      if (latencyMs > 0) await new Promise((r) => setTimeout(r, latencyMs));
      return answer(req);
    } finally {
      inFlight--;
    }
  });
  const answer = (req: Request): Response => {
    const match = new URLPattern({ pathname: "/quotes/:symbol" }).exec(req.url);
    if (req.method !== "GET" || !match) {
      return Response.json({ error: "not found" }, { status: 404 });
    }
    const symbol = match.pathname.groups.symbol!;
    let response: Response;
    if (!(symbol in PRICES)) {
      response = Response.json({ error: `unknown symbol ${symbol}` }, { status: 404 });
    } else if (random() < failureRate) {
      response = Response.json({ error: "upstream unavailable, try again" }, { status: 503 });
    } else {
      response = Response.json({ symbol, price_paise: PRICES[symbol] });
    }
    calls.push({ symbol, status: response.status, at: Date.now() });
    return response;
  };
  return {
    url: `http://${hostname}:${server.addr.port}`,
    calls,
    get maxInFlight() {
      return maxInFlight;
    },
    close: () => server.shutdown(),
  };
}

if (import.meta.main) {
  let config;
  try {
    config = readFlakyConfig();
  } catch (err) {
    console.error(`flaky: ${(err as Error).message}`);
    Deno.exit(2);
  }
  const service = startFlakyService(config);
  console.error(
    `flaky: ${service.url} fails ${config.failureRate * 100}% of requests (seed ${
      config.seed ?? "random"
    })` + (config.latencyMs > 0 ? `, answers in ${config.latencyMs} ms` : ""),
  );
  const stop = async () => {
    await service.close();
    Deno.exit(0);
  };
  Deno.addSignalListener("SIGINT", stop);
  Deno.addSignalListener("SIGTERM", stop);
}
