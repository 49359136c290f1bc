import assert from "node:assert/strict";
import { SingleFlight } from "./single_flight.ts";

/** A promise the test resolves or rejects by hand. */
function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (reason: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

Deno.test("SingleFlight.do() runs the work once for concurrent calls with one key", async () => {
  const flight = new SingleFlight<string>();
  const gate = deferred<string>();
  let runs = 0;
  const work = () => {
    runs++;
    return gate.promise;
  };
  const calls = Array.from({ length: 50 }, () => flight.do("42", work));
  assert.equal(flight.size, 1);
  gate.resolve("user 42");
  assert.deepEqual(await Promise.all(calls), Array(50).fill("user 42"));
  assert.equal(runs, 1);
  assert.equal(flight.joined, 49);
  assert.equal(flight.size, 0);
});

Deno.test("SingleFlight.do() runs different keys independently", async () => {
  const flight = new SingleFlight<string>();
  const seen: string[] = [];
  const results = await Promise.all(["1", "2", "1"].map((key) =>
    flight.do(key, () => {
      seen.push(key);
      return Promise.resolve(`user ${key}`);
    })
  ));
  assert.deepEqual(results, ["user 1", "user 2", "user 1"]);
  assert.deepEqual(seen, ["1", "2"]);
});

Deno.test("SingleFlight.do() keeps nothing once the call settles", async () => {
  const flight = new SingleFlight<number>();
  let runs = 0;
  const work = () => Promise.resolve(++runs);
  assert.equal(await flight.do("42", work), 1);
  assert.equal(await flight.do("42", work), 2);
});

Deno.test("SingleFlight.do() gives the error to every caller, then runs again", async () => {
  const flight = new SingleFlight<string>();
  const gate = deferred<string>();
  const calls = [1, 2, 3].map(() => flight.do("42", () => gate.promise));
  gate.reject(new Error("API down"));
  for (const call of calls) await assert.rejects(call, /API down/);
  assert.equal(flight.size, 0);
  assert.equal(await flight.do("42", () => Promise.resolve("ok")), "ok");
});

Deno.test("SingleFlight.do() forgets a call whose work threw synchronously", async () => {
  const flight = new SingleFlight<string>();
  await assert.rejects(
    flight.do("42", () => {
      throw new TypeError("bad");
    }),
    TypeError,
  );
  assert.equal(flight.size, 0);
  assert.equal(await flight.do("42", () => Promise.resolve("ok")), "ok");
});
