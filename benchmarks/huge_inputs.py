"""Peak memory growth while tagging one line without spaces (issue 13): words cut for the tokenizer vs uncut.

    python benchmarks/huge_inputs.py --model runs/wikigold --chars 4000000            # as nerkit runs
    python benchmarks/huge_inputs.py --model runs/wikigold --chars 4000000 --uncut    # the tokenizer gets the whole word

Writes a line of ``--chars`` letters (``a`` repeated, one "word"), tags a small line first
(so imports and the model are in memory), then the big one with ``nerkit predict``'s code,
and prints the growth of the process's peak resident memory (``ru_maxrss``) and the time.
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from pathlib import Path

import nerkit.encoding.windows as windows
from nerkit.inference.files import predict_file


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True)
    parser.add_argument("--chars", type=int, default=4_000_000)
    parser.add_argument("--uncut", action="store_true", help="give the tokenizer the whole word (as before issue 13)")
    args = parser.parse_args()
    if args.uncut:
        windows.MAX_WORD_CHARS = 10**12
    folder = Path(tempfile.mkdtemp())
    (folder / "small.txt").write_text("Obama visited Paris .\n")
    (folder / "big.txt").write_text(f"Obama visited {'a' * args.chars} .\n")
    predict_file(args.model, str(folder / "small.txt"), str(folder / "out"), fmt="lines", progress=False)
    before, started = _peak_mb(), time.perf_counter()
    predict_file(args.model, str(folder / "big.txt"), str(folder / "out"), fmt="lines", progress=False)
    print(
        f"{args.chars:,} characters, {'uncut' if args.uncut else 'cut'}: peak memory grew "
        f"{_peak_mb() - before:.0f} MB in {time.perf_counter() - started:.1f} s"
    )


if __name__ == "__main__":
    main()
