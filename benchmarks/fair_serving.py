"""Fairness of `nerkit serve`: how long a one-sentence request waits while a 100,000-character one runs.

    python benchmarks/fair_serving.py --model runs/minilm-random-head

For each big text (100,000 characters of wikigold prose; 100,000 emoji, one word piece
each, the worst case for word pieces) it starts `nerkit serve` on a free loopback port
(``benchmarks/load_test.py``'s helpers), times ``--tries`` one-sentence requests with
nothing else running (the baseline), then keeps one big request in progress (posting the big
text again each time it is answered), waits until the server has started on it, and:

1. sends ``--tries`` one-sentence requests ("Barack Obama visited Paris.") one after the
   other and records each one's latency (p50, p99, max), how many model calls it waited
   for, and whether a big request was in progress from before it was sent until after it
   was answered (``/health``; the script exits 1 unless every try was);
2. runs ``--clients`` clients that each send ``--requests`` wikigold sentences one after
   the other, and counts the errors (any exception or status other than 200);
3. with ``--slow-clients`` (e.g. 300) connections sending a body one byte every 0.2 s,
   sends ``--tries`` one-sentence requests, and records how long the slow clients were held
   (the server answers 408 after ``--read-timeout``, default 10 s);

and finally waits for the last big request. Each big request's status and duration are
reported: one longer than ``--request-timeout`` gets 504, as it should. A small request
rides in the next model call whatever else is running, so its wait is about two calls of
``--max-batch-words`` words, not the big request's whole run.

Pass ``--extra`` to give the server other options, e.g. ``--extra --max-batch-words 4096``.
The one-minute load average before and after is recorded: on a shared machine it says how
much else was running.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from load_test import start_server, stop_server, texts_from_wikigold  # noqa: E402

SMALL = "Barack Obama visited Paris."


def big_texts(chars: int) -> dict[str, str]:
    prose = " ".join(texts_from_wikigold(10**6))
    while len(prose) < chars:
        prose += " " + prose
    return {"prose": prose[:chars], "emoji": "\U0001f600" * chars}


async def wait_until_started(client, before: int) -> None:
    """Until the server is tagging the big request: in progress, with model calls made since ``before``."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        stats = (await client.get("/health")).json()["batching"]
        if stats["in_progress"] >= 1 and stats["batches"] > before:
            return
        await asyncio.sleep(0.05)
    raise SystemExit("the big request did not start within 120 s")


async def small_requests(client, tries: int) -> tuple[list[float], list[int], int]:
    """``tries`` one-sentence requests one after the other: each one's latency (s), how many
    model calls the server made while it waited, and how many of them had another request in
    progress from before they were sent until after they were answered (``/health``)."""
    latencies, calls, beside = [], [], 0
    for _ in range(tries):
        before = (await client.get("/health")).json()["batching"]
        t = time.perf_counter()
        r = await client.post("/entities", json={"text": SMALL})
        latencies.append(time.perf_counter() - t)
        assert r.status_code == 200, r.text
        after = (await client.get("/health")).json()["batching"]
        calls.append(after["batches"] - before["batches"])
        beside += before["in_progress"] >= 1 and after["in_progress"] >= 1
    return latencies, calls, beside


async def keep_in_flight(client, text: str, stop: asyncio.Event, log: list) -> None:
    """Posts ``text`` again each time it is answered, until ``stop``: one big request always in progress."""
    while not stop.is_set():
        t = time.perf_counter()
        r = await client.post("/entities", json={"text": text})
        log.append((r.status_code, round(time.perf_counter() - t, 1)))


async def slow_loris(base: str, clients: int, tries: int) -> dict:
    """``clients`` connections sending a body a byte at a time; one-sentence requests meanwhile."""
    import httpx

    host, port = base.removeprefix("http://").split(":")
    head = b"POST /entities HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n"
    started = time.perf_counter()

    async def slow() -> tuple[float, bytes]:
        reader, writer = await asyncio.open_connection(host, int(port))
        writer.write(head)
        answer = b""
        try:
            while not reader.at_eof() and time.perf_counter() - started < 120:
                writer.write(b" ")
                await writer.drain()
                try:
                    answer += await asyncio.wait_for(reader.read(4096), 0.2)
                except TimeoutError:
                    pass
        except ConnectionError:
            pass
        writer.close()
        return time.perf_counter() - started, answer[:12]

    held = asyncio.gather(*(slow() for _ in range(clients)))
    await asyncio.sleep(1)
    async with httpx.AsyncClient(base_url=base, timeout=120) as client:
        latencies, _, _ = await small_requests(client, tries)
    results = await held
    return {
        "slow_clients": clients,
        "slow_held_max_s": round(max(t for t, _ in results), 1),
        "slow_answered_408": sum(a.startswith(b"HTTP/1.1 408") for _, a in results),
        "small_beside_slow_p99_ms": _ms(latencies, 99),
    }


def _ms(latencies: list[float], q: float) -> float:
    return round(float(np.percentile(np.asarray(latencies) * 1000, q)), 1)


async def one_big_text(base: str, name: str, text: str, args) -> dict:
    import httpx

    async with httpx.AsyncClient(base_url=base, timeout=600) as client:
        await client.post("/entities", json={"text": SMALL})  # warm up
        load_before = os.getloadavg()[0]
        alone, _, _ = await small_requests(client, args.tries)  # the same requests with nothing else running
        before = (await client.get("/health")).json()["batching"]["batches"]
        stop, bigs = asyncio.Event(), []
        big = asyncio.create_task(keep_in_flight(client, text, stop, bigs))
        await wait_until_started(client, before)
        latencies, calls, beside = await small_requests(client, args.tries)
        failures, finished = await many_clients(base, args)
        in_flight_during_clients = not bigs  # the first big request was still running
        stop.set()
        loris = await slow_loris(base, args.slow_clients, args.tries) if args.slow_clients else {}
        await big
        stats = (await client.get("/health")).json()["batching"]
    return {
        "big": name,
        "big_chars": len(text),
        "tries": len(latencies),
        "alone_p50_ms": _ms(alone, 50),
        "alone_p99_ms": _ms(alone, 99),
        "small_p50_ms": _ms(latencies, 50),
        "small_p99_ms": _ms(latencies, 99),
        "small_max_ms": _ms(latencies, 100),
        "calls_waited_max": max(calls),
        "tries_beside_a_big_request": beside,
        "clients": args.clients,
        "client_requests": finished,
        "client_errors": len(failures),
        "client_failures": failures[:5],
        "first_big_in_flight_during_clients": in_flight_during_clients,
        "big_requests": bigs,  # (status, seconds) of each big request, posted one after the other
        "model_calls": stats["batches"],
        "largest_call_units": stats["largest_batch"],
        "load_average": [round(load_before, 2), round(os.getloadavg()[0], 2)],
        **loris,
    }


async def many_clients(base: str, args) -> tuple[list[str], int]:
    """``clients`` clients, each sending ``requests`` sentences one after the other: (failures, requests)."""
    import httpx

    texts = texts_from_wikigold(args.clients * args.requests)
    failures: list[str] = []
    limits = httpx.Limits(max_connections=args.clients, max_keepalive_connections=args.clients)
    async with httpx.AsyncClient(base_url=base, timeout=120, limits=limits) as client:

        async def worker(k: int) -> None:
            for j in range(args.requests):
                try:
                    r = await client.post("/entities", json={"text": texts[k * args.requests + j]})
                    if r.status_code != 200:
                        failures.append(f"status {r.status_code}: {r.text[:200]}")
                except Exception as exc:  # counted, never hidden
                    failures.append(f"{type(exc).__name__}: {exc}")

        await asyncio.gather(*(worker(k) for k in range(args.clients)))
    return failures, args.clients * args.requests


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default="runs/minilm-random-head", help="a directory written by `nerkit train`")
    parser.add_argument("--chars", type=int, default=100_000, help="characters of the big request")
    parser.add_argument("--tries", type=int, default=20, help="one-sentence requests timed while the big one runs")
    parser.add_argument("--clients", type=int, default=32, help="concurrent clients after the tries")
    parser.add_argument("--requests", type=int, default=20, help="requests per client")
    parser.add_argument("--slow-clients", type=int, default=300, help="slow-loris connections (0: none)")
    parser.add_argument("--big", nargs="+", default=["prose", "emoji"], choices=["prose", "emoji"])
    parser.add_argument("--extra", nargs=argparse.REMAINDER, default=[], help="more `nerkit serve` options")
    parser.add_argument("--output", default="runs/fair-serving/results.json", help="JSON results")
    args = parser.parse_args()
    texts = big_texts(args.chars)
    rows = []
    for name in args.big:
        process, base = start_server(args.model, ["--max-chars", str(args.chars), *args.extra])
        try:
            rows.append(asyncio.run(one_big_text(base, name, texts[name], args)))
        finally:
            stop_server(process)
        print(json.dumps(rows[-1]), file=sys.stderr, flush=True)
    out = Path(args.output)
    out.parent.mkdir(parents=True, exist_ok=True)
    summary = {"command": " ".join(["python", *sys.argv]), "model": args.model, "runs": rows}
    out.write_text(json.dumps(summary, indent=2) + "\n")
    print(
        "| big request | alone p50 / p99 ms | beside it p50 / p99 / max ms | calls waited (max) "
        "| clients x requests | errors | big requests: (status, s) | load avg |"
    )
    print("|---|---:|---:|---:|---|---:|---|---|")
    for r in rows:
        print(
            f"| {r['big_chars']:,} chars of {r['big']} | {r['alone_p50_ms']} / {r['alone_p99_ms']} | "
            f"{r['small_p50_ms']} / {r['small_p99_ms']} / {r['small_max_ms']} | {r['calls_waited_max']} | "
            f"{r['clients']} x {args.requests} | {r['client_errors']} | {r['big_requests']} | "
            f"{r['load_average'][0]}-{r['load_average'][1]} |"
        )
    bad = [r for r in rows if r["client_errors"] or r["tries_beside_a_big_request"] < r["tries"]]
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
