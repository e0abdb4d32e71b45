"""Peak memory growth while `nerkit predict` tags one pre-split line of N words (issue 13).

    OMP_NUM_THREADS=2 python benchmarks/long_lines.py runs/wikigold 80000 lines
    OMP_NUM_THREADS=2 python benchmarks/long_lines.py runs/wikigold 400000 lines

The line repeats "Obama visited the city of Paris and met Merkel in Berlin" (no sentence end);
a small line is tagged first so imports and the model are in memory; the growth of the
process's peak resident memory (ru_maxrss) and the time of the big line are printed.
"""

from __future__ import annotations

import resource
import sys
import tempfile
import time
from pathlib import Path

from nerkit.inference.files import predict_file


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    model, n, fmt = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    folder = Path(tempfile.mkdtemp())
    (folder / "small.txt").write_text("Obama visited Paris .\n")
    words = ("Obama visited the city of Paris and met Merkel in Berlin " * (n // 11)).split()
    (folder / "big.txt").write_text(" ".join(words) + "\n")
    predict_file(model, str(folder / "small.txt"), str(folder / "out"), fmt=fmt, progress=False)
    before, started = peak_mb(), time.perf_counter()
    predict_file(model, str(folder / "big.txt"), str(folder / "out"), fmt=fmt, progress=False)
    print(f"{fmt} {len(words)} words: +{peak_mb() - before:.0f} MB peak, {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
