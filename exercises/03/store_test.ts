/**
 * saveCount() against DynamoDB Local: repeats, late events and sequencer order.
 */
import assert from "node:assert/strict";
import { DeleteTableCommand, DynamoDBClient, GetItemCommand } from "@aws-sdk/client-dynamodb";
import { requireService, uniqueName } from "../../infra/testing.ts";
import { readConfig } from "./config.ts";
import {
  createCountsTable,
  objectId,
  type RowCount,
  saveCount,
  sortableSequencer,
} from "./store.ts";

Deno.test("sortableSequencer() orders hex sequencers of different lengths", () => {
  assert.ok(sortableSequencer("ff") < sortableSequencer("100"));
  assert.ok(sortableSequencer("0A1B") < sortableSequencer("a1c"));
  assert.equal(sortableSequencer("0a1b"), sortableSequencer("0A1B"));
});

Deno.test("saveCount() keeps the newest upload's count whatever order the events come in", async () => {
  await requireService("dynamodb");
  const config = readConfig();
  const client = new DynamoDBClient({
    region: config.region,
    credentials: config.credentials,
    endpoint: config.dynamodbEndpoint,
  });
  const table = uniqueName("test-rows");
  const count = (etag: string, rows: number, sequencer?: string): RowCount => ({
    bucket: "b",
    key: "k.csv",
    rows,
    columns: 1,
    bytes: 10,
    etag,
    sequencer,
    processedAt: new Date().toISOString(),
    requestId: crypto.randomUUID(),
  });
  const stored = async () =>
    (await client.send(
      new GetItemCommand({ TableName: table, Key: { object: { S: objectId("b", "k.csv") } } }),
    )).Item;
  try {
    await createCountsTable(client, table);
    // v2's event is handled first, then v1's arrives late (its read won the race).
    assert.equal(await saveCount(client, table, count("v2", 20, "FF")), "written");
    assert.equal(await saveCount(client, table, count("v1", 10, "0A")), "stale");
    assert.equal(await saveCount(client, table, count("v2", 20, "FF")), "duplicate");
    assert.equal((await stored())?.rows.N, "20");
    // The same bytes uploaded again: a later sequencer, the same ETag.
    assert.equal(await saveCount(client, table, count("v2", 20, "100")), "duplicate");
    // A newer upload (sequencer 101 > FF once padded) replaces it.
    assert.equal(await saveCount(client, table, count("v3", 30, "101")), "written");
    assert.equal((await stored())?.rows.N, "30");
    // No sequencer (a direct invoke): another ETag is taken as newer.
    assert.equal(await saveCount(client, table, count("v4", 40)), "written");
    assert.equal(await saveCount(client, table, count("v4", 40)), "duplicate");
  } finally {
    await client.send(new DeleteTableCommand({ TableName: table })).catch(() => undefined);
    client.destroy();
  }
});
