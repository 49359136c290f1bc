"""Exercise 07's rules in Python, for the Flask and FastAPI peers
(flask_app.py, fastapi_app.py): what POST /records accepts, and the error
messages, word for word as exercises/07/app.ts and record.ts give them, so
the bench can check that every server answers the same.

Settings as ours: REDIS_URL, RECORDS_PREFIX, RECORDS_BODY_LIMIT.
"""
import json
import math
import os
import re
import uuid
from datetime import datetime, timezone

REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379")
PREFIX = os.environ.get("RECORDS_PREFIX", "records")
BODY_LIMIT = int(os.environ.get("RECORDS_BODY_LIMIT", "16384"))
MAX_URI_BYTES = 8192

FIELDS = ["customer_id", "amount", "currency", "tags"]
JSON_TYPE = re.compile(r"^application/([\w.-]+\+)?json$", re.IGNORECASE)
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
CURRENCY = re.compile(r"^[A-Z]{3}$")


class HttpError(Exception):
    def __init__(self, status, message):
        super().__init__(message)
        self.status = status
        self.message = message


def js_number(n):
    """A number as JavaScript's String() writes it (15999, 1.5, Infinity)."""
    if math.isinf(n):
        return "Infinity" if n > 0 else "-Infinity"
    if isinstance(n, float) and n.is_integer() and abs(n) < 1e21:
        return str(int(n))
    return repr(n)


def shorten(text, limit):
    return text[:limit] + "…" if len(text) > limit else text


def describe(value):
    """infra/describe.ts describe(): the type and at most 60 characters of the value."""
    if value is None:
        return "null"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, bool):
        return f"boolean {'true' if value else 'false'}"
    if isinstance(value, (int, float)):
        return f"number {js_number(value)}"
    shown = json.dumps(shorten(value, 60), ensure_ascii=False)
    return f"string {shown} ({len(value)} characters)" if len(value) > 60 else f"string {shown}"


def check_record(value):
    """record.ts checkRecord(): the record with its defaults, or HttpError 400 naming the field."""
    def fail(reason):
        raise HttpError(400, reason)

    if not isinstance(value, dict):
        fail(f"a record must be a JSON object: got {describe(value)}")
    unknown = next((name for name in value if name not in FIELDS), None)
    if unknown is not None:
        fail(f"unknown field {json.dumps(shorten(unknown, 40), ensure_ascii=False)}: a record has {', '.join(FIELDS)}")
    customer_id = value.get("customer_id")
    if customer_id is None:
        fail("customer_id is missing")
    if not isinstance(customer_id, str):
        fail(f"customer_id must be a string: got {describe(customer_id)}")
    if customer_id.strip() == "":
        fail("customer_id must not be empty")
    if len(customer_id) > 64:
        fail(f"customer_id must be at most 64 characters: got {len(customer_id)}")
    amount = value.get("amount")
    if amount is None:
        fail("amount is missing")
    if isinstance(amount, bool) or not isinstance(amount, (int, float)):
        fail(f"amount must be a number: got {describe(amount)}")
    if not math.isfinite(amount):
        fail(f"amount must be finite: got {js_number(amount)}")
    if amount < 0:
        fail(f"amount must not be negative: got {js_number(amount)}")
    currency = value["currency"] if "currency" in value else "INR"
    if not isinstance(currency, str) or not CURRENCY.match(currency):
        fail(f"currency must be 3 capital letters (ISO 4217): got {describe(currency)}")
    tags = value["tags"] if "tags" in value else []
    if not isinstance(tags, list):
        fail(f"tags must be an array of strings: got {describe(tags)}")
    if len(tags) > 10:
        fail(f"tags must have at most 10 items: got {len(tags)}")
    for i, tag in enumerate(tags):
        if not isinstance(tag, str) or tag.strip() == "" or len(tag) > 32:
            fail(f"tags[{i}] must be a non-empty string of at most 32 characters: got {describe(tag)}")
    return {"customer_id": customer_id, "amount": amount, "currency": currency, "tags": tags}


def _no_constants(name):
    # JSON.parse knows no NaN or Infinity literals; Python's json would take them.
    raise ValueError(name)


def new_record(content_type, content_length, body):
    """The record a POST /records body makes (id and created_at added), or HttpError."""
    if not content_type or not JSON_TYPE.match(content_type.split(";")[0].strip()):
        got = json.dumps(content_type[:100], ensure_ascii=False) if content_type else "none"
        raise HttpError(415, f"Content-Type must be application/json: got {got}")
    if (content_length or 0) > BODY_LIMIT or len(body) > BODY_LIMIT:
        raise HttpError(413, f"Request body is larger than {BODY_LIMIT} bytes")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise HttpError(400, "Request body is not valid UTF-8")
    try:
        value = json.loads(text, parse_constant=_no_constants)
    except ValueError:
        raise HttpError(400, "Malformed JSON in request body")
    created = datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    return {"id": str(uuid.uuid4()), **check_record(value), "created_at": created}


def record_key(record_id):
    """The Redis key of a record, or HttpError 400 for an id the server could not have issued."""
    if not UUID.match(record_id):
        raise HttpError(400, f"id must be a lowercase UUID: got {json.dumps(shorten(record_id, 64), ensure_ascii=False)}")
    return f"{PREFIX}:{record_id}"


def check_uri(path, query):
    size = len(path) + (len(query) + 1 if query else 0)
    if size > MAX_URI_BYTES:
        raise HttpError(414, f"Request URI is longer than {MAX_URI_BYTES} bytes: got {size}")
