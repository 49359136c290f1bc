import assert from "node:assert/strict";
import { makeUser } from "./user_api.ts";
import { withUserApi } from "./_testing.ts";

Deno.test("startUserApi() answers users, 404 for unknown ids, 400 for bad ones", async () => {
  await withUserApi(0, async (api) => {
    const ok = await fetch(`${api.url}/users/42`);
    assert.equal(ok.status, 200);
    assert.deepEqual(await ok.json(), makeUser(42));
    const missing = await fetch(`${api.url}/users/99999`);
    assert.equal(missing.status, 404);
    assert.deepEqual(await missing.json(), { error: "user 99999 not found" });
    const bad = await fetch(`${api.url}/users/abc`);
    assert.equal(bad.status, 400);
    await bad.body?.cancel();
    const stats = await fetch(`${api.url}/stats`);
    assert.deepEqual(await stats.json(), { calls: 3, found: 1, not_found: 1, bad_request: 1 });
    assert.deepEqual(api.stats(), { calls: 3, found: 1, not_found: 1, bad_request: 1 });
  });
});

Deno.test("startUserApi() takes USER_API_LATENCY_MS per call", async () => {
  await withUserApi(150, async (api) => {
    const started = performance.now();
    await (await fetch(`${api.url}/users/1`)).body?.cancel();
    assert.ok(performance.now() - started >= 145, "slow on purpose");
    const health = performance.now();
    await (await fetch(`${api.url}/healthz`)).body?.cancel();
    assert.ok(performance.now() - health < 100, "the health check is not slowed");
    assert.equal(api.stats().calls, 1, "/healthz is not counted");
  });
});

Deno.test("makeUser() is the same user every time", () => {
  assert.deepEqual(makeUser(42), {
    id: 42,
    name: "Meera Iyer",
    email: "user42@example.com",
    city: "Pune",
  });
  assert.deepEqual(makeUser(7), makeUser(7));
});
