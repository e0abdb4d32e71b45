"""Load test for `nerkit serve`: requests/s and p50/p99 latency at 1, 8 and 32 concurrent clients.

    flock /tmp/nerkit-cpu.lock python benchmarks/load_test.py --model runs/serve-quick

Starts `nerkit serve` on a free port of 127.0.0.1 (loopback only; there is no option to
change that), then for each concurrency level runs that many clients for ``--seconds``
(at most 60) after a short warm-up, each posting one text at a time to ``POST /entities``
and sending the next as soon as the answer arrives. Texts are wikigold sentences as raw
text, taken in turn. A request fails if it raises or its status is not 200; the script
exits 1 if any failed. With ``--compare-unbatched`` a second server, started with
``--max-batch 1 --max-wait-ms 0`` (no micro-batching), serves the highest level too, in
slices alternating with the batched server's, so both see the same machine.

The mean batch size comes from the server's ``/health`` counters (texts / model calls).
The 1-minute load average before and after each measurement is recorded: on a shared
machine it says how much else was running. The client runs on the same machine and takes
some CPU from the server.
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
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
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


async def run_slice(base: str, texts: list[str], clients: int, seconds: float, warmup: float) -> dict:
    """``clients`` clients posting without pause for ``warmup + seconds``; what the measured window saw.

    Clients never stop between warm-up and measurement (so the server's queue is in its
    steady state when the window opens). Throughput counts the requests that finished
    inside the window; latency is that of the requests that started inside it (each
    client's last one is waited for after the window closes).
    """
    import httpx

    records: list[tuple[float, float, str | None]] = []  # (start, end, problem)
    counter = iter(range(10**9))
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=120) as client:
        opens = time.perf_counter() + warmup
        closes = opens + seconds

        async def worker():
            while time.perf_counter() < closes:
                text = texts[next(counter) % len(texts)]
                started = time.perf_counter()
                try:
                    r = await client.post("/entities", json={"text": text})
                    ok = r.status_code == 200 and isinstance(r.json().get("entities"), list)
                    problem = None if ok else f"status {r.status_code}: {r.text[:200]}"
                except Exception as exc:  # counted, never hidden
                    problem = f"{type(exc).__name__}: {exc}"
                records.append((started, time.perf_counter(), problem))

        async def health_at(moment: float) -> tuple[dict, float]:
            await asyncio.sleep(max(0.0, moment - time.perf_counter()))
            # A fresh connection: a pooled one left idle for the server's keep-alive timeout
            # (uvicorn: 5 s) may be closed by the server just as it is reused.
            async with httpx.AsyncClient(base_url=base, timeout=120) as fresh:
                return (await fresh.get("/health")).json()["batching"], os.getloadavg()[0]

        *_, (before, load_before), (after, load_after) = await asyncio.gather(
            *(worker() for _ in range(clients)), health_at(opens), health_at(closes)
        )
    started_inside = [r for r in records if opens <= r[0] < closes]
    return {
        "latencies": [end - start for start, end, _ in started_inside],
        "failures": [p for _, _, p in records if p],  # any failure counts, warm-up included
        "finished": sum(1 for _, end, _ in records if opens <= end < closes),
        "elapsed": seconds,
        "texts": after["texts"] - before["texts"],
        "calls": after["batches"] - before["batches"],
        "load": [load_before, load_after],
    }


def summarise(server: str, clients: int, slices: list[dict]) -> dict:
    latencies = [x for s in slices for x in s["latencies"]]
    failures = [f for s in slices for f in s["failures"]]
    elapsed = sum(s["elapsed"] for s in slices)
    calls = sum(s["calls"] for s in slices)
    ms = np.asarray(latencies) * 1000
    return {
        "server": server,
        "clients": clients,
        "requests": len(latencies),  # started in the measured window
        "failed": len(failures),
        "failures": failures[:5],
        "seconds": round(elapsed, 2),
        "requests_per_s": round(sum(s["finished"] for s in slices) / elapsed, 2),
        "p50_ms": round(float(np.percentile(ms, 50)), 1) if len(ms) else None,
        "p99_ms": round(float(np.percentile(ms, 99)), 1) if len(ms) else None,
        "mean_batch": round(sum(s["texts"] for s in slices) / calls, 2) if calls else None,
        "load_average": [round(x, 2) for s in slices for x in s["load"]],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default="runs/serve-quick", help="a directory written by `nerkit train`")
    parser.add_argument("--clients", type=int, nargs="+", default=[1, 8, 32], help="concurrency levels")
    parser.add_argument("--seconds", type=float, default=15, help="measured seconds per level (at most 60)")
    parser.add_argument("--warmup", type=float, default=3, help="unmeasured seconds before each measurement")
    parser.add_argument("--texts", type=int, default=500, help="wikigold sentences to cycle through")
    parser.add_argument(
        "--compare-unbatched",
        action="store_true",
        help="also run the highest level against a second server without micro-batching "
        "(--max-batch 1), alternating with the batched one in --rounds slices",
    )
    parser.add_argument("--rounds", type=int, default=3, help="alternating slices for --compare-unbatched")
    parser.add_argument("--output", default="runs/serve-load/results.json", help="JSON results")
    args = parser.parse_args()
    seconds = min(args.seconds, 60.0)
    texts = texts_from_wikigold(args.texts)
    servers = {"batched": []}
    if args.compare_unbatched:
        servers["unbatched"] = ["--max-batch", "1", "--max-wait-ms", "0"]
    started = {}
    results = []
    try:
        for name, extra in servers.items():
            started[name] = start_server(args.model, extra)
        for clients in args.clients:
            if args.compare_unbatched and clients == max(args.clients):
                # Side by side: alternate short slices so both see the same machine noise.
                slices = {name: [] for name in servers}
                for _ in range(args.rounds):
                    for name in servers:
                        base = started[name][1]
                        slices[name].append(
                            asyncio.run(run_slice(base, texts, clients, seconds / args.rounds, args.warmup))
                        )
                rows = [summarise(name, clients, slices[name]) for name in servers]
            else:
                rows = [
                    summarise(
                        "batched",
                        clients,
                        [asyncio.run(run_slice(started["batched"][1], texts, clients, seconds, args.warmup))],
                    )
                ]
            for row in rows:
                results.append(row)
                print(json.dumps(row), file=sys.stderr, flush=True)
    finally:
        for process, _ in started.values():
            stop_server(process)
    summary = {
        "command": " ".join(["python", *sys.argv]),
        "model": args.model,
        "mean_text_chars": round(sum(map(len, texts)) / len(texts), 1),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}",
        "levels": results,
    }
    out = Path(args.output)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(summary, indent=2) + "\n")
    print("| server | clients | requests | failed | requests/s | p50 ms | p99 ms | mean batch | load avg |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---|")
    for r in results:
        print(
            f"| {r['server']} | {r['clients']} | {r['requests']} | {r['failed']} | {r['requests_per_s']} | "
            f"{r['p50_ms']} | {r['p99_ms']} | {r['mean_batch']} | {min(r['load_average'])}-{max(r['load_average'])} |"
        )
    failed = sum(r["failed"] for r in results)
    if failed:
        print(f"{failed} requests failed, e.g. {[f for r in results for f in r['failures']][:3]}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
