"""Exercise 07's API in Flask + redis-py, for the bench: the same routes, the
same answers (records.py), run under gunicorn:

    gunicorn -w 2 -b 127.0.0.1:PORT flask_app:app
"""
import json

import redis
from flask import Flask, Response, request

from records import HttpError, check_uri, new_record, record_key, REDIS_URL

app = Flask(__name__)
# Without timeouts a hung Redis hangs the worker; ours gives up after 1 s too.
r = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1, socket_timeout=1)


def answer(body, status=200, headers=None):
    return Response(json.dumps(body, ensure_ascii=False, separators=(",", ":")), status, headers, mimetype="application/json")


@app.before_request
def uri_limit():
    check_uri(request.path, request.query_string.decode("latin-1"))


@app.post("/records")
def create():
    record = new_record(request.content_type, request.content_length, request.get_data(cache=False))
    r.set(record_key(record["id"]), json.dumps(record, ensure_ascii=False, separators=(",", ":")))
    return answer(record, 201, {"Location": f"/records/{record['id']}"})


@app.get("/records/<record_id>")
def read(record_id):
    stored = r.get(record_key(record_id))
    if stored is None:
        raise HttpError(404, f"No record with id {record_id}")
    return answer(json.loads(stored))


@app.get("/healthz")
def healthz():
    r.ping()
    return answer({"status": "ok", "redis": "up"})


@app.errorhandler(HttpError)
def http_error(e):
    return answer({"error": e.message}, e.status)


@app.errorhandler(404)
@app.errorhandler(405)
def no_route(_):
    return answer({"error": f"No route for {request.method} {request.path}"}, 404)


@app.errorhandler(redis.exceptions.ConnectionError)
@app.errorhandler(redis.exceptions.TimeoutError)
def redis_unavailable(_):
    return answer({"error": "Redis is unavailable"}, 503)


@app.errorhandler(Exception)
def internal(e):
    app.logger.exception(e)
    return answer({"error": "Internal server error"}, 500)
