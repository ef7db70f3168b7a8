"""Public names of a package imported on first use (module ``__getattr__``, PEP 562).

A package's ``__init__`` lists where each public name lives instead of importing it,
so importing one light submodule (e.g. the policies for ``run --help``, or
``run_task`` in a sweep worker) does not import every heavy library the package
uses somewhere.  ``from package import name`` still works and gives the same object.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable


def lazy_names(package: str, module_of: dict[str, str]) -> tuple[Callable, Callable]:
    """``__getattr__`` and ``__dir__`` for ``package`` whose names live in submodules.

    Parameters
    ----------
    package : str
        The package's ``__name__``.
    module_of : dict
        Public name -> the submodule (relative, without the dot) defining it.

    Returns
    -------
    tuple of callable
        Assign them to the package's ``__getattr__`` and ``__dir__``.
    """
    import sys

    def __getattr__(name: str):
        if name not in module_of:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f".{module_of[name]}", package), name)
        vars(sys.modules[package])[name] = value  # later look-ups skip this function
        return value

    def __dir__() -> list[str]:
        return sorted([*vars(sys.modules[package]), *module_of])

    return __getattr__, __dir__
