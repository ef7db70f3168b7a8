"""``python -m hotspot_sim.cli``: the same as the ``hotspot-sim`` command."""

import sys

from . import main

sys.exit(main())
