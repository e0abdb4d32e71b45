"""Command-line flags made from the dataclasses that own the options.

>>> import argparse
>>> from nerkit.training.config import TrainConfig
>>> parser = argparse.ArgumentParser()
>>> add_flags(parser, TrainConfig, only=("lr", "crf", "progress"))
>>> args = parser.parse_args(["--lr", "3e-5", "--crf", "off", "--no-progress"])
>>> given(args, TrainConfig)
{'lr': 3e-05, 'crf': False, 'progress': False}
>>> given(parser.parse_args([]), TrainConfig)          # nothing given: the dataclass's defaults stand
{}

A flag's default is the field's default, shown in its help and never restated here; a flag
left out is left out of :func:`given`, so the dataclass fills it in.
"""

from __future__ import annotations

import argparse
from dataclasses import MISSING, fields

__all__ = ["add_flags", "given"]


def _shown(field) -> str | None:
    if field.default is not MISSING:
        value = field.default
    elif field.default_factory is not MISSING:
        value = field.default_factory()
    else:
        return None
    if value is None or isinstance(value, bool):
        return None
    return f"{value:,}" if isinstance(value, int) and value >= 10_000 else str(value)


def add_flags(parser: argparse.ArgumentParser, cls, only=None, skip=(), required=()) -> None:
    """Add a flag for each field of ``cls`` that describes itself (``nerkit.options.flag``).

    A flag already on ``parser`` (a field two dataclasses share, such as ``--seed``) is not
    added twice: one flag then sets both.
    """
    for f in fields(cls):
        spec = f.metadata.get("flag")
        if spec is None or f.name in skip or (only is not None and f.name not in only):
            continue
        name = spec.name or "--" + f.name.replace("_", "-")
        if name in parser._option_string_actions:
            continue
        shown = _shown(f)
        help = spec.help + (f" (default: {shown})" if shown is not None and not spec.switch else "")
        if spec.switch:
            parser.add_argument(name, dest=f.name, action="store_const", const=not spec.invert, default=None, help=help)
            continue
        kind = None if spec.on_off else spec.type  # auto/on/off are turned into None/True/False by given()
        parser.add_argument(
            name, dest=f.name, type=kind, choices=spec.choices, default=None, required=f.name in required, help=help
        )


def given(args: argparse.Namespace, cls) -> dict:
    """The fields of ``cls`` given on the command line, as the dataclass takes them."""
    values = {}
    for f in fields(cls):
        spec = f.metadata.get("flag")
        value = getattr(args, f.name, None)
        if spec is None or value is None:
            continue
        values[f.name] = spec.parse(value) if spec.on_off else value
    return {k: v for k, v in values.items() if v is not None}
