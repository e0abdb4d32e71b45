"""How an option describes itself, so that it is written down once.

An option of nerkit is a field of the dataclass that owns it (``TrainConfig.lr``,
``InferenceOptions.stride``, ...). The field sets the default, the dataclass's
``__post_init__`` checks the value, and :func:`flag` attaches the help text and the
command-line shape, from which ``nerkit.cli`` builds its flags. Nothing else restates a
default or a check.

>>> from dataclasses import dataclass, field, fields
>>> @dataclass
... class Options:
...     lr: float = field(default=1e-4, metadata=flag("peak learning rate", type=float))
...     casing: bool | None = field(default=None, metadata=flag("word shapes", on_off=True))
>>> described = {f.name: f.metadata["flag"] for f in fields(Options)}
>>> described["lr"].help, described["lr"].type.__name__
('peak learning rate', 'float')
>>> described["casing"].choices, described["casing"].parse("off")
(('auto', 'on', 'off'), False)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

__all__ = ["Flag", "flag", "ON_OFF"]

# A three-way switch: "auto" leaves the choice to the library (None).
ON_OFF = {"auto": None, "on": True, "off": False}


@dataclass(frozen=True)
class Flag:
    """The command-line face of one dataclass field."""

    help: str
    type: Callable[[str], Any] | None = None
    choices: tuple | None = None
    on_off: bool = False  # None/True/False spelt auto/on/off
    switch: bool = False  # a boolean set by its flag alone (``--resume``)
    name: str | None = None  # the flag, when it is not ``--field-name`` (``--no-progress``)
    invert: bool = False  # a switch that sets the field to False (``--no-progress`` for progress=True)

    def parse(self, text: str) -> Any:
        """The field's value for a flag's text (the CLI's argparse type)."""
        if self.on_off:
            return ON_OFF[text]
        return self.type(text) if self.type else text


def flag(help: str, **shape) -> dict:
    """Field metadata: ``field(default=..., metadata=flag("what it does", type=int))``."""
    if shape.get("on_off"):
        shape.setdefault("choices", tuple(ON_OFF))
    return {"flag": Flag(help, **shape)}
