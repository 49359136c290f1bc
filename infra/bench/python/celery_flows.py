"""Exercise 05 in Celery: generate random numbers, then find the primes, as a
chain and as a chord, with the Redis broker and result backend.

Worker:  python -m celery -A celery_flows worker -c 2
Client:  python celery_flows.py chain|chord FLOWS PARTS COUNT MAX SEED
         prints one JSON line: the seconds from the first flow sent to the
         last result, and every flow's result (checked against ours).

The numbers come from the same generator as ours (mulberry32, infra/random.ts),
so the same seed gives the same numbers and the same primes.

Redis and the key prefix: celery_app.py.
"""
import json
import sys
import time

from celery import chain, chord

from celery_app import make_app

app = make_app("celery_flows")


def mulberry32(seed):
    """infra/random.ts seededRandom(): numbers in [0, 1), 32-bit arithmetic."""
    state = seed & 0xFFFFFFFF

    def imul(a, b):
        return (a * b) & 0xFFFFFFFF

    def random():
        nonlocal state
        state = (state + 0x6D2B79F5) & 0xFFFFFFFF
        t = imul(state ^ (state >> 15), state | 1)
        t ^= (t + imul(t ^ (t >> 7), t | 61)) & 0xFFFFFFFF
        return ((t ^ (t >> 14)) & 0xFFFFFFFF) / 2**32

    return random


def is_prime(n):
    """Trial division by 2, 3 and 6k +- 1, as exercises/05/numbers.ts isPrime()."""
    if n < 4:
        return n >= 2
    if n % 2 == 0 or n % 3 == 0:
        return False
    d = 5
    while d * d <= n:
        if n % d == 0 or n % (d + 2) == 0:
            return False
        d += 6
    return True


@app.task(name="generate")
def generate(count, maximum, seed):
    random = mulberry32(seed)
    return [2 + int(random() * (maximum - 1)) for _ in range(count)]


@app.task(name="primes")
def primes(results):
    # A chain passes one list of numbers, a chord a list of lists (one per child).
    numbers = [n for part in results for n in part] if results and isinstance(results[0], list) else results
    return {"numbers": len(numbers), "primes": sorted({n for n in numbers if is_prime(n)})}


def flow(pattern, parts, count, maximum, seed):
    """One chain (generate -> primes) or chord (parts x generate -> primes), sent."""
    if pattern == "chain":
        return chain(generate.s(count, maximum, seed), primes.s()).apply_async()
    return chord(generate.s(count, maximum, seed + i) for i in range(parts))(primes.s())


if __name__ == "__main__":
    pattern, flows, parts, count, maximum, seed = sys.argv[1], *map(int, sys.argv[2:7])
    started = time.perf_counter()
    sent = [flow(pattern, parts, count, maximum, seed + f * parts) for f in range(flows)]
    results = [r.get(timeout=300) for r in sent]
    seconds = time.perf_counter() - started
    for r in sent:
        r.forget()
    print(json.dumps({"seconds": seconds, "results": results}))
