"""One-off check that nerkit's DDP training runs as a Ray Train job (docs/scaling.md, "Training on Ray").

    .venv/bin/python benchmarks/ray_train_check.py

``nerkit.fit`` inside ``ray.train.torch.TorchTrainer`` with 2 CPU workers: Ray Train sets up
the process group (gloo) and ``fit`` joins it, as it joins torchrun's. The tiny random BERT of
the tests and their 8 sentences, 3 epochs: each worker prints its rank, the world size and the
per-epoch losses (the same on both: one DDP run), and rank 0 saves the model.
"""

import pathlib
import sys
import tempfile

import ray
from ray.train import RunConfig, ScalingConfig
from ray.train.torch import TorchTrainer

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent / "tests"))
from conftest import SENTENCES, make_tiny_model_dir  # noqa: E402


def train_loop(config):
    import ray.train
    import torch.distributed as dist

    import nerkit

    data = nerkit.load(config["data"])
    model = nerkit.fit(data, config["base"], epochs=3, batch_size=4, lr=5e-3, warmup=0.0, progress=False, max_len=64)
    rank = ray.train.get_context().get_world_rank()
    if rank == 0:
        model.save(config["out"])
    print("RANK", rank, "of", dist.get_world_size(), "losses", [round(h["loss"], 6) for h in model.history])


def main() -> None:
    folder = pathlib.Path(tempfile.mkdtemp())
    base = make_tiny_model_dir(folder / "base")
    data = folder / "train.conll"
    data.write_text("\n\n".join("\n".join(f"{w} {t}" for w, t in zip(*s)) for s in SENTENCES) + "\n")
    ray.init(num_cpus=2, include_dashboard=False)
    trainer = TorchTrainer(
        train_loop,
        train_loop_config={"data": str(data), "base": str(base), "out": str(folder / "out")},
        scaling_config=ScalingConfig(num_workers=2, use_gpu=False),
        run_config=RunConfig(storage_path=str(folder / "ray-results")),
    )
    trainer.fit()
    print("saved:", sorted(p.name for p in (folder / "out").iterdir()))


if __name__ == "__main__":
    main()
