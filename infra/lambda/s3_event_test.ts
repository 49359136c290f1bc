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

Deno.test("s3Objects() rejects what is not an S3 event, naming the record", () => {
  assert.throws(() => s3Objects({ bucket: "in", key: "k" }), /no Records array in \{"bucket"/);
  assert.throws(() => s3Objects(null), /no Records array/);
  assert.throws(
    () => s3Objects({ Records: [record("in", "a"), { eventSource: "aws:sqs" }] }),
    /Cannot read record 2 of the event as an S3 record: \{"eventSource":"aws:sqs"\}/,
  );
});
