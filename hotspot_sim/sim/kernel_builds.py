"""The two builds of the kernels: compiled with numba, and the pure-Python reference.

:mod:`hotspot_sim.sim.kernels` is written once; :func:`kernels` returns its
entry points compiled (what the model uses) or, with ``reference=True``, the
same source imported again as plain Python (``hotspot_sim.sim.kernels_reference``,
~100x slower; tests check the two agree draw for draw).  The first compiled run
after an install compiles for about a minute (numba then caches the build on
disk): :func:`announce_compile` says so once.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from collections.abc import Callable
from types import ModuleType
from typing import NamedTuple

import numpy as np

from . import kernels as compiled


class Kernels(NamedTuple):
    """The kernels of one build (compiled or reference), called as plain functions."""

    run_ticks: Callable
    close_day: Callable
    presence_begin: Callable
    presence_end: Callable
    deterrence: Callable
    risk: Callable
    attempt: Callable
    next_trip: Callable
    deterrence_surface: Callable
    risk_surface: Callable


def entry_points(module: ModuleType) -> Kernels:
    """A build's kernels (its run_ticks wrapped to skip re-dispatch when compiled).

    Parameters
    ----------
    module : module
        ``hotspot_sim.sim.kernels`` or its reference import.

    Returns
    -------
    Kernels
    """
    m = module
    return Kernels(run_ticks=m.run_ticks if m.REFERENCE else _skip_dispatch(m.run_ticks),
                   close_day=m.close_day, presence_begin=m.presence_begin_py,
                   presence_end=m.presence_end_py, deterrence=m.deterrence, risk=m.risk,
                   attempt=m.attempt, next_trip=m.next_trip,
                   deterrence_surface=m.deterrence_surface, risk_surface=m.risk_surface)


def _skip_dispatch(dispatcher):
    """``dispatcher`` (run_ticks), minus numba's type resolution when the state is unchanged.

    Why: a call resolves the numba type of every argument before unboxing, ~10
    us for our ~70 arrays in nested named tuples, paid on every kernel call (the
    model calls run_ticks at every event).  The model passes the same state
    tuples each time, and a tuple cannot change which arrays it holds, so when
    the six state objects are the very ones of the previous call we go straight
    to the compiled entry point found then (which still unboxes and checks each
    argument).  Anything else goes through the dispatcher as usual.  The
    ``dispatcher`` attribute gives the numba function (signatures, inspect_llvm).
    """
    last_state, last_entry = None, None

    def run_ticks(net, ns, of, oc, logs, P, t0, t1, seed, day_start):
        nonlocal last_state, last_entry
        # identity checks only: the previous state is kept alive here, so ids cannot be reused
        s = last_state
        if (s is not None and s[0] is net and s[1] is ns and s[2] is of and s[3] is oc
                and s[4] is logs and s[5] is P):
            return last_entry(net, ns, of, oc, logs, P, t0, t1, seed, day_start)
        args = (net, ns, of, oc, logs, P, t0, t1, seed, day_start)
        result = dispatcher(*args)
        last_state, last_entry = None, None
        sig = tuple(dispatcher.typeof_pyval(a) for a in args)
        cres = dispatcher.overloads.get(sig)
        if cres is not None and all(isinstance(a, (int, np.integer)) for a in args[6:]):
            last_state, last_entry = args[:6], cres.entry_point
        return result

    run_ticks.dispatcher = dispatcher
    run_ticks.__doc__ = dispatcher.py_func.__doc__
    return run_ticks


COMPILE_MESSAGE = ("hotspot-sim: compiling the simulation kernels (first run after install, "
                   "about 1 minute; cached afterwards)...")
ANNOUNCED_ENV = "HOTSPOT_SIM_COMPILE_ANNOUNCED"
"""Set once the message is shown, so worker processes started afterwards stay quiet."""


def cache_is_cold(dispatcher=None) -> bool:
    """Whether numba has no fresh on-disk build of ``dispatcher`` (default run_ticks).

    numba keeps an index per function beside the module (``__pycache__/*.nbi``),
    stamped with the source file's time and size; an index that is missing,
    from another numba or for older source loads as empty, and the first call
    compiles.  Uses numba's cache internals, so if they change we say nothing
    rather than claim a compile that may not happen.
    """
    dispatcher = compiled.run_ticks if dispatcher is None else dispatcher
    if getattr(dispatcher, "overloads", None):
        return False  # already compiled or loaded in this process
    try:
        return not dispatcher._cache._cache_file._load_index()
    except (AttributeError, OSError, EOFError, ValueError):
        return False


def announce_compile(dispatcher=None, stream=None) -> bool:
    """Say once (on stderr) that the kernels are compiling, when the cache is cold.

    A process that printed it sets ``HOTSPOT_SIM_COMPILE_ANNOUNCED`` so the
    worker processes it starts do not repeat it.

    Parameters
    ----------
    dispatcher : numba dispatcher, optional
        The kernel whose cache decides (default ``run_ticks``).
    stream : file, optional
        Where to print (default stderr).

    Returns
    -------
    bool
        True when the message was printed.
    """
    if os.environ.get(ANNOUNCED_ENV) or not cache_is_cold(dispatcher):
        return False
    os.environ[ANNOUNCED_ENV] = "1"
    print(COMPILE_MESSAGE, file=stream or sys.stderr, flush=True)
    return True


_EXPORTS: dict[str, Kernels] = {}


def kernels(reference: bool = False) -> Kernels:
    """The compiled kernels, or the pure-Python reference (same source, loaded once).

    Parameters
    ----------
    reference : bool
        The pure-Python build (~100x slower; for tests and benchmarks).

    Returns
    -------
    Kernels
        The entry points, e.g. ``kernels().run_ticks(...)``.
    """
    key = "reference" if reference else "compiled"
    if key not in _EXPORTS:
        if not reference:
            announce_compile()  # the first call compiles for about a minute: say so before
        _EXPORTS[key] = entry_points(reference_module() if reference else compiled)
    return _EXPORTS[key]


def reference_module() -> ModuleType:
    """The kernels' source imported again as plain Python (``...sim.kernels_reference``)."""
    name = compiled.__name__ + "_reference"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, compiled.__file__)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]
