"""What the checkpoint and resume tests share: quick training runs of the tiny model."""

import warnings

import nerkit

OPTIONS = dict(epochs=3, batch_size=2, lr=5e-3, max_len=32, warmup=0.2, progress=False)


def fit_tiny(data, model_dir, **extra):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return nerkit.fit(data, str(model_dir), **{**OPTIONS, **extra})


def resume_tiny(folder, tiny_model_dir, tiny_data):
    return fit_tiny(tiny_data, tiny_model_dir, epochs=2, checkpoint_dir=str(folder), resume=True)
