"""hotspot-sim: agent-based simulation of police hot spot patrols.

Data flows one way, each stage importing only from the stages before it:

``settings`` / ``locations`` (scenarios, where data lives) -> ``data`` (police.uk crime,
harm, LSOAs, the embedded dataset) -> ``network`` (OSMnx streets) -> ``study`` (crime on
the network) -> ``target`` (TARGET: hot spots) -> ``sim`` (Mesa model, agents, numba
kernels, dispatch, routing, policies, live view) -> ``track`` (TRACK: GPS dose, residual
deterrence, zones and displacement) -> ``trial`` (TEST: experiments, statistics, power,
economics, reports) -> ``validation`` (calibrate, validate, sensitivity) -> ``plots`` /
``maps`` (pictures) -> ``cli``.  ``io``, ``gis``, ``projection``, ``checks``, ``progress``
and ``wording`` are shared helpers (files, GeoPackages, coordinates, input checks,
progress, words for people).
"""

import os as _os

__version__ = "0.1.0"

# Arrow's C++ code takes its default allocator from this variable once, when pyarrow
# loads: the system allocator gives freed memory back, pyarrow's default (mimalloc) keeps
# it (a one-year run: 379 MB peak with mimalloc, 336 MB without).  Set before anything
# here imports pyarrow; a user's own choice is kept; hotspot_sim.io.arrow_pool covers
# what it can when pyarrow was loaded first (e.g. by importing pandas before hotspot_sim).
_os.environ.setdefault("ARROW_DEFAULT_MEMORY_POOL", "system")
