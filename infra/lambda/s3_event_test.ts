import assert from "node:assert/strict";
import { decodeS3Key, encodeS3Key, s3Objects } from "./s3_event.ts";

const KEYS = [
  "plain.csv",
  "in/my file+v2 (1).csv",
  "données/été 2026.csv",
  "100%/a&b=c?d#e.csv",
  "quote's ~tilde! *star*.csv",
  "emoji 📦.csv",
];

Deno.test("decodeS3Key() decodes what AWS sends, '+' as a space", () => {
  assert.equal(decodeS3Key("my+file%2Bv2+%281%29.csv"), "my file+v2 (1).csv");
  assert.equal(decodeS3Key("donn%C3%A9es/%C3%A9t%C3%A9.csv"), "données/été.csv");
  assert.throws(() => decodeS3Key("100%.csv"), /Cannot decode the S3 key .*"100%.csv"/);
});

Deno.test("encodeS3Key() encodes as S3 events do and decodeS3Key() undoes it", () => {
  assert.equal(encodeS3Key("in/my file+v2 (1).csv"), "in/my+file%2Bv2+%281%29.csv");
  assert.equal(encodeS3Key("a!b'c~d*e_f.g-h"), "a%21b%27c%7Ed*e_f.g-h");
  for (const key of KEYS) {
    assert.doesNotMatch(encodeS3Key(key), /[ ()!'~]/);
    assert.equal(decodeS3Key(encodeS3Key(key)), key);
  }
});

const record = (bucket: string, key: string, extra: Record<string, unknown> = {}) => ({
  eventSource: "aws:s3",
  eventName: "ObjectCreated:Put",
  s3: { bucket: { name: bucket }, object: { key, ...extra } },
});

Deno.test("s3Objects() returns every record's object, key decoded, ETag unquoted", () => {
  const objects = s3Objects({
    Records: [
      record("in", "a+b.csv", { eTag: '"e1"', size: 5, sequencer: "0A" }),
      record("in", "c%2Bd.csv", { eTag: "e2", versionId: "v9" }),
    ],
  });
  assert.deepEqual(objects, [
    {
      bucket: "in",
      key: "a b.csv",
      eventName: "ObjectCreated:Put",
      size: 5,
      etag: "e1",
      sequencer: "0A",
    },
    { bucket: "in", key: "c+d.csv", eventName: "ObjectCreated:Put", etag: "e2", versionId: "v9" },
  ]);
});

Deno.test("s3Objects() throws a TypeError for an event without a Records array", () => {
  assert.throws(() => s3Objects({ bucket: "in", key: "k" }), {
    name: "TypeError",
    message: /no Records array in \{"bucket"/,
  });
  assert.throws(() => s3Objects(null), { name: "TypeError", message: /no Records array/ });
  assert.deepEqual(s3Objects({ Records: [] }), []);
});

Deno.test("s3Objects() puts a TypeError naming the record in place of each record that names no S3 object", () => {
  const { eventName: _, ...noEventName } = record("in", "b.csv");
  const bad: [unknown, string][] = [
    [{ eventSource: "aws:sqs" }, "its eventSource is not aws:s3"],
    [null, "its eventSource is not aws:s3"],
    ["text", "its eventSource is not aws:s3"],
    [noEventName, "it has no eventName"],
    [{ ...record("in", "b.csv"), eventName: 7 }, "it has no eventName"],
    [record("", "b.csv"), "it has no s3.bucket.name"],
    [{ ...record("in", "b.csv"), s3: { bucket: { name: "in" } } }, "it has no s3.object.key"],
    [record("in", ""), "it has no s3.object.key"],
    [record("in", "100%.csv"), "its key is not URL-encoded"],
  ];
  for (const [entry, why] of bad) {
    const objects = s3Objects({ Records: [record("in", "a.csv"), entry, record("in", "c.csv")] });
    assert.equal(objects.length, 3);
    assert.deepEqual([objects[0], objects[2]], [
      { bucket: "in", key: "a.csv", eventName: "ObjectCreated:Put" },
      { bucket: "in", key: "c.csv", eventName: "ObjectCreated:Put" },
    ]);
    assert.ok(objects[1] instanceof TypeError, why);
    assert.equal(
      objects[1].message,
      `Cannot read record 2 of the event as an S3 record as ${why}: ${JSON.stringify(entry)}`,
    );
  }
});

Deno.test("s3Objects() ignores optional fields of the wrong type", () => {
  const objects = s3Objects({
    Records: [record("in", "a.csv", { eTag: 5, versionId: {}, sequencer: null, size: "9" })],
  });
  assert.deepEqual(objects, [{ bucket: "in", key: "a.csv", eventName: "ObjectCreated:Put" }]);
});
