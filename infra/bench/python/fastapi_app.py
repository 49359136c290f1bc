"""Exercise 07's API in FastAPI + redis-py's asyncio client, for the bench:
the same routes, the same answers (records.py), run under uvicorn:

    uvicorn --port PORT fastapi_app:app
"""
import json

import redis.asyncio as redis
from fastapi import FastAPI, Request
from fastapi.responses import Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from records import HttpError, check_uri, new_record, record_key, REDIS_URL

app = FastAPI()
r = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1, socket_timeout=1)


def answer(body, status=200, headers=None):
    return Response(json.dumps(body, ensure_ascii=False, separators=(",", ":")), status, headers, media_type="application/json")


class UriLimit:
    """Answers 414 before routing, as ours does (a plain ASGI middleware: no per-request task)."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http":
            try:
                check_uri(scope["path"], scope["query_string"].decode("latin-1"))
            except HttpError as e:
                return await answer({"error": e.message}, e.status)(scope, receive, send)
        await self.app(scope, receive, send)


app.add_middleware(UriLimit)


@app.exception_handler(HttpError)
async def http_error(_, e: HttpError):
    return answer({"error": e.message}, e.status)


@app.exception_handler(redis.ConnectionError)
@app.exception_handler(redis.TimeoutError)
async def redis_unavailable(_, __):
    return answer({"error": "Redis is unavailable"}, 503)


@app.post("/records")
async def create(request: Request):
    length = request.headers.get("content-length")
    body = await request.body()
    record = new_record(request.headers.get("content-type"), int(length) if length else None, body)
    await r.set(record_key(record["id"]), json.dumps(record, ensure_ascii=False, separators=(",", ":")))
    return answer(record, 201, {"Location": f"/records/{record['id']}"})


@app.get("/records/{record_id}")
async def read(record_id: str):
    stored = await r.get(record_key(record_id))
    if stored is None:
        raise HttpError(404, f"No record with id {record_id}")
    return answer(json.loads(stored))


@app.get("/healthz")
async def healthz():
    await r.ping()
    return answer({"status": "ok", "redis": "up"})


@app.exception_handler(StarletteHTTPException)
async def no_route(request: Request, _):
    # 404 and 405: ours answers both as a route it does not have.
    return answer({"error": f"No route for {request.method} {request.url.path}"}, 404)
