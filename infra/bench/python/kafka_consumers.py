"""Exercise 01's consumer in Python: join a consumer group, read the topic
from the beginning, check each order, print the ones above the threshold as
one JSON line each ({"partition", "offset", "order"}, as ours prints).

    python kafka_consumers.py kafka-python|confluent-kafka TOPIC GROUP [THRESHOLD]

Runs until stopped (SIGTERM), as ours does. KAFKA_BROKERS as ours
(default 127.0.0.1:9092). A record that is not a valid order is reported on
stderr (ours sends it to a dead-letter topic; the bench topic has none).
"""
import json
import math
import os
import signal
import sys
from datetime import datetime

BROKERS = os.environ.get("KAFKA_BROKERS", "127.0.0.1:9092")


def check_order(value):
    """The order rules of exercises/01/order.ts checkOrder(): the reason, or None."""
    if not isinstance(value, dict):
        return "an order must be a JSON object"
    for field in ("order_id", "customer_id"):
        id_ = value.get(field)
        if id_ is None or id_ == "":
            return f"{field} is missing"
        if not isinstance(id_, str) and not (isinstance(id_, int) and not isinstance(id_, bool)):
            return f"{field} must be a string or an integer"
    amount = value.get("amount")
    if amount is None:
        return "amount is missing"
    if isinstance(amount, bool) or not isinstance(amount, (int, float)):
        return "amount must be a number"
    if not math.isfinite(amount) or amount < 0:
        return "amount must be finite and not negative"
    if "currency" in value and value["currency"] != "INR":
        return "currency must be INR"
    created_at = value.get("created_at")
    if created_at is not None:
        try:
            datetime.fromisoformat(created_at)
        except (TypeError, ValueError):
            return "created_at must be an ISO 8601 date"
    return None


def handle(partition, offset, raw, threshold, out):
    """Parses and checks one message; appends its line to `out` when above the threshold."""
    try:
        order = json.loads(raw)
    except (ValueError, TypeError) as err:
        print(f"consumer: {partition}@{offset}: not valid JSON: {err}", file=sys.stderr)
        return
    reason = check_order(order)
    if reason:
        print(f"consumer: {partition}@{offset}: {reason}", file=sys.stderr)
    elif order["amount"] > threshold:
        out.append(json.dumps({"partition": partition, "offset": str(offset), "order": order}))


def run_kafka_python(topic, group, threshold, running):
    from kafka import KafkaConsumer

    consumer = KafkaConsumer(topic, bootstrap_servers=BROKERS, group_id=group, auto_offset_reset="earliest")
    while running():
        lines = []
        for records in consumer.poll(timeout_ms=500).values():
            for r in records:
                handle(r.partition, r.offset, r.value, threshold, lines)
        if lines:
            sys.stdout.write("\n".join(lines) + "\n")
            sys.stdout.flush()
    consumer.close()


def run_confluent(topic, group, threshold, running):
    from confluent_kafka import Consumer

    consumer = Consumer({"bootstrap.servers": BROKERS, "group.id": group, "auto.offset.reset": "earliest"})
    consumer.subscribe([topic])
    while running():
        lines = []
        for m in consumer.consume(num_messages=500, timeout=0.5):
            if m.error():
                print(f"consumer: {m.error()}", file=sys.stderr)
                continue
            handle(m.partition(), m.offset(), m.value(), threshold, lines)
        if lines:
            sys.stdout.write("\n".join(lines) + "\n")
            sys.stdout.flush()
    consumer.close()


if __name__ == "__main__":
    client, topic, group = sys.argv[1:4]
    threshold = float(sys.argv[4]) if len(sys.argv) > 4 else 10000
    stopping = []
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
    run = {"kafka-python": run_kafka_python, "confluent-kafka": run_confluent}[client]
    run(topic, group, threshold, lambda: not stopping)
