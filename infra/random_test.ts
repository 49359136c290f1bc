import assert from "node:assert/strict";
import { seededRandom } from "./random.ts";

Deno.test("seededRandom() replays the same sequence for the same seed", () => {
  const a = seededRandom(42);
  const b = seededRandom(42);
  const xs = Array.from({ length: 1000 }, a);
  assert.deepEqual(Array.from({ length: 1000 }, b), xs);
  assert.notDeepEqual(Array.from({ length: 5 }, seededRandom(43)), xs.slice(0, 5));
  // Pinned: copies of this generator elsewhere (and recorded failing seeds) keep replaying.
  assert.deepEqual(
    Array.from({ length: 3 }, seededRandom(1)),
    [0.6270739405881613, 0.002735721180215478, 0.5274470399599522],
  );
});

Deno.test("seededRandom() gives numbers in [0, 1), spread evenly", () => {
  const random = seededRandom(7);
  const bins = new Array(10).fill(0);
  for (let i = 0; i < 100_000; i++) {
    const x = random();
    assert.ok(x >= 0 && x < 1, `draw ${i}: ${x}`);
    bins[Math.floor(x * 10)]++;
  }
  for (const [bin, n] of bins.entries()) assert.ok(n > 9_500 && n < 10_500, `bin ${bin}: ${n}`);
});

Deno.test("seededRandom() uses the seed's low 32 bits, negative seeds too", () => {
  const first = (seed: number) => seededRandom(seed)();
  assert.equal(first(-1), first(2 ** 32 - 1));
  assert.equal(first(2 ** 32 + 5), first(5));
  assert.notEqual(first(0), first(1));
});

Deno.test("seededRandom() rejects a seed that is not a safe integer", () => {
  for (const seed of [1.5, NaN, Infinity, 2 ** 53, "7" as unknown as number]) {
    assert.throws(() => seededRandom(seed), {
      name: "RangeError",
      message: /^Cannot seed the generator as the seed is not a safe integer: got /,
    }, String(seed));
  }
});
