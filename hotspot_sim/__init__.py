"""hotspot-sim: agent-based simulation of police hot spot patrols.

Data flows one way: ``data`` (police.uk crime, harm) -> ``network`` (OSMnx
streets) -> ``model`` (Mesa agents, numba kernels) -> ``track`` (GPS dose) ->
``trial`` (statistics) -> results and pictures.
"""

__version__ = "0.1.0"
