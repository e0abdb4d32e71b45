"""`nerkit predict --engine ray` against plain `nerkit predict` and `--nproc 2`, one machine, one run.

    flock /tmp/nerkit-cpu.lock .venv/bin/python benchmarks/ray_predict.py --out benchmarks/results/ray_predict.json

Data: 1,000 raw-text documents made from wikigold (bundled): document i is sentences 2i and
2i+1 of the corpus (wrapping round), words joined by spaces. The same sentences, one pre-split
sentence per line, are the input of the arms that take only CoNLL or lines (``--nproc``).

Model: ``--model`` (e.g. ``runs/wikigold`` from ``make train``), by default the embedded
all-MiniLM-L6-v2 with a new, untrained head for wikigold's tags (seed 0): the same network and
speed as the trained model; its entities are not meaningful, but they are what is compared.

Threads: plain ``nerkit predict`` lets torch use every core (2 here); a Ray worker uses
``--cpus-per-worker`` threads (1 by default), and ``--nproc 2`` gives each process half the
cores. The "1 thread" arms (``OMP_NUM_THREADS=1``) separate the thread count from the engine:
on a loaded machine two threads per process can lose far more to waiting than they gain.

Each arm is the real command in its own process, timed from start to exit, so Ray's start
(a local Ray, then one actor per worker loading the model) is included, as a user sees it.
sentences/s = sentences tagged / those seconds (for documents: the sentences nerkit's own
sentence splitting finds, i.e. what the model tags). ``--repeats`` runs each arm several
times (interleaved) and keeps the median.

Checked: the JSONL of ``--engine ray --workers 2`` is byte for byte that of plain
``nerkit predict`` (the same entities, scores and ids, in the same order), and the CoNLL of
``--engine ray`` and ``--nproc 2`` on the lines is that of plain ``nerkit predict``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch

import nerkit
from nerkit.text.sentences import sentences_of

NERKIT = [sys.executable, "-m", "nerkit.cli"]
# torch's threads: by default as many as cores; a Ray worker uses --cpus-per-worker of them.
ONE_THREAD = ["env", "OMP_NUM_THREADS=1"]


def _data(folder: Path, docs: int) -> tuple[Path, Path, int]:
    """The raw-text documents and the pre-split lines; the sentences nerkit finds in the documents."""
    sentences = [" ".join(s) for s in nerkit.load("wikigold").sentences]
    pairs = [(sentences[(2 * i) % len(sentences)], sentences[(2 * i + 1) % len(sentences)]) for i in range(docs)]
    text, lines = folder / "docs.txt", folder / "sentences.txt"
    text.write_text("".join(f"{a} {b}\n" for a, b in pairs), encoding="utf-8")
    lines.write_text("".join(f"{a}\n{b}\n" for a, b in pairs), encoding="utf-8")
    found = sum(len(sentences_of(f"{a} {b}")) for a, b in pairs)
    return text, lines, found


def _model(folder: Path, given: str | None) -> str:
    if given:
        return given
    torch.manual_seed(0)
    path = folder / "model"
    nerkit.build(labels=nerkit.unique_labels(nerkit.load("wikigold"))).save(path)
    return str(path)


def _arms(model: str, text: Path, lines: Path, folder: Path, more: list[str]) -> dict[str, list[str]]:
    base = [*NERKIT, "predict", "--model", model, "--no-progress", *more]
    docs = [*base, "--input", str(text), "--format", "text"]
    split = [*base, "--input", str(lines), "--format", "lines"]
    ray = ["--engine", "ray", "--block-size", "100"]  # 10 blocks of 100 documents (or 20 of 100 sentences)
    return {
        "text: plain predict": [*docs, "--output", str(folder / "plain.jsonl")],
        "text: plain predict, 1 thread": [*ONE_THREAD, *docs, "--output", str(folder / "plain-1t.jsonl")],
        "text: ray 1 worker x 1 CPU": [*docs, *ray, "--workers", "1", "--output", str(folder / "ray1.jsonl")],
        "text: ray 1 worker x 2 CPUs": [
            *docs,
            *ray,
            "--workers",
            "1",
            "--cpus-per-worker",
            "2",
            "--output",
            str(folder / "ray1x2.jsonl"),
        ],  # fmt: skip
        "text: ray 2 workers x 1 CPU": [*docs, *ray, "--workers", "2", "--output", str(folder / "ray2.jsonl")],
        "lines: plain predict (= --nproc 1)": [*split, "--output", str(folder / "plain.conll")],
        "lines: plain predict, 1 thread": [*ONE_THREAD, *split, "--output", str(folder / "plain-1t.conll")],
        "lines: --nproc 2": [*split, "--nproc", "2", "--output", str(folder / "nproc2.conll")],
        "lines: ray 1 worker x 1 CPU": [*split, *ray, "--workers", "1", "--output", str(folder / "ray1.conll")],
        "lines: ray 2 workers x 1 CPU": [*split, *ray, "--workers", "2", "--output", str(folder / "ray2.conll")],
    }


def _time(argv: list[str]) -> float:
    started = time.perf_counter()
    done = subprocess.run(argv, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed ({done.returncode}):\n{done.stderr[-3000:]}")
    return seconds


def _differences(plain: Path, other: Path) -> dict:
    """How ``other`` differs from plain predict's output: bytes, and what in them."""
    if plain.suffix == ".conll":
        tags = [[line.split()[-1] for line in p.read_text().splitlines() if line.strip()] for p in (plain, other)]
        return {"identical": plain.read_bytes() == other.read_bytes(),
                "tags_differing": sum(a != b for a, b in zip(*tags)), "tags": len(tags[0])}  # fmt: skip
    a, b = ([json.loads(line) for line in p.read_text().splitlines()] for p in (plain, other))

    def spans(records, score):
        return [
            [(e["start"], e["end"], e["label"], e["score"] if score else 0) for e in r["entities"]] for r in records
        ]

    return {
        "identical": plain.read_bytes() == other.read_bytes(),
        "same_ids_in_order": [r["id"] for r in a] == [r["id"] for r in b],
        "documents_with_other_entities": sum(x != y for x, y in zip(spans(a, False), spans(b, False))),
        "documents_with_other_scores": sum(x != y for x, y in zip(spans(a, True), spans(b, True))),
        "documents": len(a),
    }


def _same(folder: Path) -> dict[str, dict]:
    """Each output against plain predict's, for the arms that ran."""
    pairs = [("plain.jsonl", x) for x in ("ray2.jsonl", "ray1.jsonl", "ray1x2.jsonl", "plain-1t.jsonl")]
    pairs += [("plain.conll", x) for x in ("ray2.conll", "ray1.conll", "nproc2.conll", "plain-1t.conll")]
    pairs += [("plain-1t.jsonl", "ray2.jsonl"), ("plain-1t.conll", "ray2.conll")]  # one thread each
    return {
        f"{other} vs {plain}": _differences(folder / plain, folder / other)
        for plain, other in pairs
        if (folder / plain).exists() and (folder / other).exists()
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", help="a model folder (default: the embedded MiniLM with an untrained head)")
    parser.add_argument("--docs", type=int, default=1000, help="raw-text documents (default: 1000)")
    parser.add_argument("--repeats", type=int, default=1, help="runs of each arm, interleaved; the median is kept")
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/ray_predict.json"))
    parser.add_argument("--only", nargs="*", help="run only the arms whose names contain one of these")
    parser.add_argument("--precision", help="passed to every arm (default: the model's, auto)")
    args = parser.parse_args(argv)
    folder = Path(tempfile.mkdtemp(prefix="nerkit-ray-bench-"))
    text, lines, found = _data(folder, args.docs)
    model = _model(folder, args.model)
    arms = _arms(model, text, lines, folder, ["--precision", args.precision] if args.precision else [])
    arms = {k: v for k, v in arms.items() if not args.only or any(x in k for x in args.only)}
    times: dict[str, list[float]] = {name: [] for name in arms}
    for _ in range(args.repeats):
        for name, command in arms.items():
            times[name].append(_time(command))
            print(f"{name}: {times[name][-1]:.1f} s", file=sys.stderr, flush=True)
    same = _same(folder)
    plain = folder / "plain.jsonl"
    records = [json.loads(line) for line in plain.read_text().splitlines()] if plain.exists() else []
    sentences = {"text": found, "lines": 2 * args.docs}
    rows = {
        name: {
            "seconds": [round(t, 2) for t in ts],
            "sentences_per_s": round(sentences[name.split(":")[0]] / statistics.median(ts), 1),
        }
        for name, ts in times.items()
    }
    payload = {
        "command": "python benchmarks/ray_predict.py " + " ".join(argv if argv is not None else sys.argv[1:]),
        "model": args.model or "embedded all-MiniLM-L6-v2, untrained head (seed 0)",
        "precision": args.precision or "the model's (auto)",
        "documents": args.docs,
        "sentences": sentences,
        "entities_in_plain_output": sum(len(r["entities"]) for r in records),
        "cpus": os.cpu_count(),
        "torch": torch.__version__,
        "ray": __import__("ray").__version__,
        "rows": rows,
        "same_output": same,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(payload, indent=2) + "\n")
    print(f"| arm | seconds (median of {args.repeats}) | sentences/s |")
    print("|---|---|---|")
    for name, row in rows.items():
        print(f"| {name} | {statistics.median(row['seconds']):.1f} | {row['sentences_per_s']:.1f} |")
    print(json.dumps(same, indent=2))


if __name__ == "__main__":
    main()
