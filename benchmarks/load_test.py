"""Load test for `nerkit serve`: requests/s and p50/p99 latency at 1, 8 and 32 concurrent clients.

    flock /tmp/nerkit-cpu.lock python benchmarks/load_test.py --model runs/serve-quick

Starts `nerkit serve` on a free port of 127.0.0.1 (loopback only; there is no option to
change that), then for each concurrency level runs that many clients for ``--seconds``
(at most 60) after a short warm-up, each posting one text at a time to ``POST /entities``
and sending the next as soon as the answer arrives. Texts are wikigold sentences as raw
text, taken in turn. A request fails if it raises or its status is not 200; the script
exits 1 if any failed. With ``--compare-unbatched`` it also runs the highest level against
a second server started with ``--max-batch 1`` (no micro-batching), side by side.

The mean batch size comes from the server's ``/health`` counters (texts / model calls).
The client runs on the same machine and takes some CPU from the server, the same at every level.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np

HOST = "127.0.0.1"


def start_server(model: str, extra: list[str]) -> tuple[subprocess.Popen, str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "nerkit.cli", "serve", "--model", model, "--host", HOST, "--port", "0", *extra],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        line = process.stderr.readline()
        if not line and process.poll() is not None:
            raise SystemExit(f"nerkit serve exited with status {process.returncode}")
        found = re.search(r"http://127\.0\.0\.1:\d+", line)
        if found:
            # Keep draining stderr so a chatty server never blocks on a full pipe.
            threading.Thread(target=lambda: [None for _ in process.stderr], daemon=True).start()
            return process, found.group(0)
    process.kill()
    raise SystemExit("nerkit serve did not start within 300 s")


def stop_server(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()


def texts_from_wikigold(n: int) -> list[str]:
    import nerkit

    data = nerkit.load("wikigold")
    return [" ".join(words) for words in data.sentences[:n]]


async def run_level(base: str, texts: list[str], clients: int, seconds: float, warmup: float) -> dict:
    import httpx

    latencies: list[float] = []
    failures: list[str] = []
    counter = iter(range(10**9))
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=60) as client:

        async def worker(until: float, record: bool):
            while time.perf_counter() < until:
                text = texts[next(counter) % len(texts)]
                started = time.perf_counter()
                try:
                    r = await client.post("/entities", json={"text": text})
                    ok = r.status_code == 200 and isinstance(r.json().get("entities"), list)
                    problem = None if ok else f"status {r.status_code}: {r.text[:200]}"
                except Exception as exc:  # counted, never hidden
                    problem = f"{type(exc).__name__}: {exc}"
                if record:
                    latencies.append(time.perf_counter() - started)
                    if problem:
                        failures.append(problem)

        warm_until = time.perf_counter() + warmup
        await asyncio.gather(*(worker(warm_until, False) for _ in range(clients)))
        before = (await client.get("/health")).json()["batching"]
        started = time.perf_counter()
        await asyncio.gather(*(worker(started + seconds, True) for _ in range(clients)))
        elapsed = time.perf_counter() - started
        after = (await client.get("/health")).json()["batching"]
    ms = np.asarray(latencies) * 1000
    calls = after["batches"] - before["batches"]
    return {
        "clients": clients,
        "requests": len(latencies),
        "failed": len(failures),
        "failures": failures[:5],
        "seconds": round(elapsed, 2),
        "requests_per_s": round(len(latencies) / elapsed, 2),
        "p50_ms": round(float(np.percentile(ms, 50)), 1) if len(ms) else None,
        "p99_ms": round(float(np.percentile(ms, 99)), 1) if len(ms) else None,
        "mean_batch": round((after["texts"] - before["texts"]) / calls, 2) if calls else None,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default="runs/serve-quick", help="a directory written by `nerkit train`")
    parser.add_argument("--clients", type=int, nargs="+", default=[1, 8, 32], help="concurrency levels")
    parser.add_argument("--seconds", type=float, default=15, help="measured seconds per level (at most 60)")
    parser.add_argument("--warmup", type=float, default=3, help="unmeasured seconds before each level")
    parser.add_argument("--texts", type=int, default=500, help="wikigold sentences to cycle through")
    parser.add_argument("--compare-unbatched", action="store_true",
                        help="also run the highest level against a server without micro-batching (--max-batch 1)")
    parser.add_argument("--output", default="runs/serve-load/results.json", help="JSON results")
    args = parser.parse_args()
    seconds = min(args.seconds, 60.0)
    texts = texts_from_wikigold(args.texts)
    setups = [("batched", [])]
    if args.compare_unbatched:
        setups.append(("unbatched", ["--max-batch", "1", "--max-wait-ms", "0"]))
    results = []
    for name, extra in setups:
        levels = args.clients if name == "batched" else [max(args.clients)]
        process, base = start_server(args.model, extra)
        try:
            for clients in levels:
                row = asyncio.run(run_level(base, texts, clients, seconds, args.warmup))
                row["server"] = name
                results.append(row)
                print(json.dumps(row), file=sys.stderr, flush=True)
        finally:
            stop_server(process)
    summary = {
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
        "model": args.model,
        "mean_text_chars": round(sum(map(len, texts)) / len(texts), 1),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}",
        "levels": results,
    }
    out = Path(args.output)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(summary, indent=2) + "\n")
    print("| server | clients | requests | failed | requests/s | p50 ms | p99 ms | mean batch |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for r in results:
        print(f"| {r['server']} | {r['clients']} | {r['requests']} | {r['failed']} | {r['requests_per_s']} | "
              f"{r['p50_ms']} | {r['p99_ms']} | {r['mean_batch']} |")
    failed = sum(r["failed"] for r in results)
    if failed:
        print(f"{failed} requests failed, e.g. {[f for r in results for f in r['failures']][:3]}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
