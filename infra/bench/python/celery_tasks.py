"""Exercise 10 in Celery: workers share one queue, and each task prints the id
of the worker that ran it (host:pid:name) and returns when it started and
finished, as exercises/10/worker.ts does.

Worker:  python -m celery -A celery_tasks worker -c 2
Client:  python celery_tasks.py KIND MS COUNT
         sends COUNT tasks (kind noop or sleep, MS milliseconds) as one group,
         waits for all, and prints one JSON line: tasks/s from the first task
         started to the last finished, and how many tasks each worker ran.

Redis and the key prefix: celery_app.py.
"""
import json
import os
import socket
import sys
import time
from collections import Counter

from celery import group

from celery_app import make_app

app = make_app("celery_tasks")


@app.task(name="work")
def work(kind, ms):
    # The pool process's own pid: each process is one worker, as ours are.
    worker = f"{socket.gethostname()}:{os.getpid()}:celery"
    started = time.time() * 1000
    print(json.dumps({"event": "start", "worker": worker, "task": {"kind": kind, "ms": ms}}), flush=True)
    if kind == "sleep":
        time.sleep(ms / 1000)
    finished = time.time() * 1000
    print(json.dumps({"event": "done", "worker": worker, "ms": finished - started}), flush=True)
    return {"worker": worker, "started_at": started, "finished_at": finished}


if __name__ == "__main__":
    kind, ms, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    result = group(work.s(kind, ms) for _ in range(count)).apply_async()
    done = result.get(timeout=300)
    result.forget()
    first = min(d["started_at"] for d in done)
    last = max(d["finished_at"] for d in done)
    per_worker = Counter(d["worker"] for d in done)
    print(json.dumps({"rate": round(count / ((last - first) / 1000)), "tasks": len(done), "workers": per_worker}))
