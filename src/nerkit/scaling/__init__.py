"""Tagging beyond one machine on an existing distributed engine (Ray Data).

Modules: :mod:`~nerkit.scaling.ray_engine` (``nerkit predict --engine ray`` and
:func:`predict_ray`), :mod:`~nerkit.scaling.blocks` (an input file cut into blocks that
workers read back) and :mod:`~nerkit.scaling.progress` (the output, resumable block by block). Ray itself is an optional extra (``pip install "nerkit[ray]"``), imported
only when a run starts.
"""

from .blocks import Block, plan_blocks, read_block
from .ray_engine import ENGINES, RayOptions, check_engine, predict_ray

__all__ = ["ENGINES", "RayOptions", "check_engine", "predict_ray", "Block", "plan_blocks", "read_block"]
