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

__version__ = "0.1.0"
