"""Exercise 09's transform in pandas, the peer bench.ts times ours against.

NDJSON orders in, one summary line per customer out, byte for byte what
transform.ts writes for the bench's input (bench.ts checks that before it
times anything). Its checks are the ones pandas does in bulk: an id, a
non-negative amount and an ISO 8601 created_at in every record, or it fails
(a date-time without an offset it reads as UTC, where 09 refuses it; it
names no record, and trusts its reader with repeated or coerced fields).

usage: python bench_pandas.py default|pyarrow <input.ndjson> <output.ndjson>
Prints the seconds the transform took: read, summarise, write (not imports).
"""

import json
import sys
import time

import numpy as np
import pandas as pd

HIGH_VALUE_PAISE = 1_000_000


def read(path, reader):
    if reader == "pyarrow":
        return pd.read_json(path, lines=True, engine="pyarrow", dtype_backend="pyarrow")
    # dtype=False: else pandas turns any *_at column into dates its own way.
    return pd.read_json(path, lines=True, dtype=False)


def transform(path, reader):
    orders = read(path, reader)
    ids = orders["customer_id"].astype(str)
    amount = orders["amount"].astype("float64").to_numpy()
    if orders["customer_id"].isna().any() or (ids == "").any():
        raise ValueError("customer_id is missing")
    if np.isnan(amount).any() or (amount < 0).any():
        raise ValueError("amount is missing or negative")
    # format="ISO8601" raises on anything else; utc=True applies each offset.
    created = pd.to_datetime(orders["created_at"], utc=True, format="ISO8601")
    ms = created.astype("datetime64[ms, UTC]").astype("int64").to_numpy()
    # Half away from zero, as Math.round for amounts of 0 or more.
    cents = amount * 100
    paise = np.where(cents - np.floor(cents) >= 0.5, np.ceil(cents), np.floor(cents))
    frame = pd.DataFrame({
        "customer_id": ids.to_numpy(),
        "paise": paise.astype("int64"),
        "high": paise > HIGH_VALUE_PAISE,
        "ms": ms,
    })
    summary = frame.groupby("customer_id", sort=True).agg(
        orders=("paise", "size"),
        total=("paise", "sum"),
        max=("paise", "max"),
        high=("high", "sum"),
        first=("ms", "min"),
        last=("ms", "max"),
    )
    # Half up to the paisa, in integers.
    avg = (2 * summary["total"] + summary["orders"]) // (2 * summary["orders"])
    iso = lambda col: pd.to_datetime(summary[col], unit="ms").dt.strftime("%Y-%m-%dT%H:%M:%S.%f").str[:-3] + "Z"
    rupees = lambda paise: [f"{p // 100}.{p % 100:02d}" for p in paise.tolist()]
    lines = [
        f'{{"customer_id":{json.dumps(cid, ensure_ascii=False)},"orders":{n},'
        f'"total_amount":{t},"avg_amount":{a},"max_amount":{m},"high_value_orders":{h},'
        f'"first_order_at":"{f}","last_order_at":"{l}"}}\n'
        for cid, n, t, a, m, h, f, l in zip(
            summary.index.tolist(),
            summary["orders"].tolist(),
            rupees(summary["total"]),
            rupees(avg),
            rupees(summary["max"]),
            summary["high"].tolist(),
            iso("first").tolist(),
            iso("last").tolist(),
        )
    ]
    return "".join(lines).encode("utf-8")


if __name__ == "__main__":
    reader, source, target = sys.argv[1:4]
    started = time.perf_counter()
    with open(target, "wb") as out:
        out.write(transform(source, reader))
    print(time.perf_counter() - started)
