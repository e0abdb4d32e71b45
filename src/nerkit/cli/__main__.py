"""``python -m nerkit.cli``: what the launcher runs in each process of ``--nproc N``."""

import sys

from . import main

sys.exit(main())
