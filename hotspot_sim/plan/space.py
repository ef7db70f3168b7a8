"""The plans ``hotspot-sim plan`` searches: each decision variable's allowed values.

A :class:`PlanSpace` holds one :class:`Variable` per decision of a patrol plan (the
parameters of the ``planned_patrol`` policy and the scenario's ``[officers] mode``).
Every variable has a finite set of values: a list (``rank_by = ["harm", "count"]``) or a
regular range (``dwell_minutes = {min = 5, max = 30, step = 5}``), which the search
treats as ordered.  The defaults are sensible for Welwyn Hatfield: up to 20 hot spots
(the experiments measure 20), visits of 5-30 minutes around Koper's 10-15, 1-6 visits a
shift around Savvy/Style's 3.  A TOML file (``--space FILE``) replaces any of them::

    dwell_minutes = {min = 5, max = 25, step = 5}
    visits_per_shift = [2, 3, 4]
    mode = ["foot"]            # one value: fixed, not searched

:func:`plan_of` maps one candidate (name -> value) to what a run needs: scenario
overrides and the policy's parameters.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

from ..checks import number_problem
from ..errors import ConfigError

POLICY = "planned_patrol"
SCENARIO_VARIABLES = {"mode": "officers.mode"}
"""Decision variables that are scenario keys, not policy parameters."""

#: Every decision variable: (kind, lo, hi) for numbers, or ("choice", allowed values).
#: Bounds are the planned_patrol policy's ranges (k up to the places the data has, which the
#: run checks).
VARIABLES: dict[str, tuple] = {
    "k": ("int", 1, 1000),
    "rank_by": ("choice", ("harm", "count", "composite")),
    "dwell_minutes": ("int", 1, 240),
    "visits_per_shift": ("int", 0, 48),
    "patrol_start_hour": ("int", 0, 23),
    "patrol_hours": ("int", 1, 24),
    "mode": ("choice", ("foot", "car")),
    "response_share": ("float", 0.0, 1.0),
}


@dataclass(frozen=True)
class Variable:
    """One decision variable and its allowed values.

    Attributes
    ----------
    name : str
        A key of ``VARIABLES``.
    values : tuple
        The allowed values, in order.
    step : int or float, optional
        Set when ``values`` is a regular range ``min, min + step, ..., max``: the search
        then treats it as ordered (nearby values behave alike).
    """

    name: str
    values: tuple
    step: float | None = None

    @property
    def fixed(self) -> bool:
        """One allowed value: not searched."""
        return len(self.values) == 1


@dataclass(frozen=True)
class PlanSpace:
    """The decision variables of a plan search (every one of ``VARIABLES``, in that order).

    Attributes
    ----------
    variables : tuple of Variable
        One per decision variable.
    source : str
        Where it came from (``"default"``, ``"quick"`` or a file), named in messages.
    by_name : dict
        Variable name -> :class:`Variable` (made from ``variables``).

    Raises
    ------
    ConfigError
        A variable missing, repeated or unknown, or one without values.
    """

    variables: tuple[Variable, ...]
    source: str = "default"
    by_name: dict = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        names = [v.name for v in self.variables]
        if sorted(names) != sorted(VARIABLES) or not all(v.values for v in self.variables):
            raise ConfigError(f"plan space {self.source}: needs each of {', '.join(VARIABLES)} "
                              f"once, each with at least one value (got {', '.join(names)})")
        object.__setattr__(self, "by_name", {v.name: v for v in self.variables})

    def size(self) -> int:
        """How many distinct plans the space holds."""
        n = 1
        for v in self.variables:
            n *= len(v.values)
        return n

    def to_dict(self) -> dict:
        """Each variable's values (and step), for the manifest."""
        return {v.name: {"values": list(v.values), "step": v.step} for v in self.variables}


def _range(name: str, lo, hi, step) -> Variable:
    return Variable(name, _expand(name, lo, hi, step), step)


# The default space (Welwyn Hatfield): the research's values sit inside each range, so an
# optimum at the edge says the range, not the research, limited it.
DEFAULT_SPACE = PlanSpace((
    Variable("k", (5, 10, 15, 20), 5),                  # experiments measure the top 20
    Variable("rank_by", ("harm", "count")),            # Sherman 2013 ranks by harm
    Variable("dwell_minutes", (5, 10, 15, 20, 25, 30), 5),  # Koper 1995: 10-15 best
    Variable("visits_per_shift", (1, 2, 3, 4, 5, 6), 1),    # Savvy/Style: ~3 a late shift
    Variable("patrol_start_hour", (7, 11, 15, 19), 4),      # shifts start 7, 15, 23
    Variable("patrol_hours", (4, 6, 8), 2),
    Variable("mode", ("foot", "car")),
    Variable("response_share", (0.0, 0.25, 0.5), 0.25),
))

QUICK_SPACE = PlanSpace((
    Variable("k", (5, 10), 5),
    Variable("rank_by", ("harm",)),
    Variable("dwell_minutes", (5, 15, 25), 10),
    Variable("visits_per_shift", (1, 3), 2),
    Variable("patrol_start_hour", (15,)),
    Variable("patrol_hours", (8,)),
    Variable("mode", ("foot",)),
    Variable("response_share", (0.25,)),
), source="quick")


def _expand(name: str, lo, hi, step) -> tuple:
    """``lo, lo + step, ..., hi`` (hi included when on the grid)."""
    n = int(round((hi - lo) / step + 1e-9)) + 1
    values = [lo + i * step for i in range(n)]
    if isinstance(step, float) or isinstance(lo, float):
        values = [round(float(x), 6) for x in values]
    return tuple(v for v in values if v <= hi + 1e-9)


def _check_value(name: str, value, where: str):
    """One value of variable ``name``: the right type and inside its bounds."""
    kind, *spec = VARIABLES[name]
    key = f"{where} {name}"
    if kind == "choice":
        if value not in spec[0]:
            raise ConfigError(f"{key} = {value!r}: choose from {', '.join(spec[0])}")
        return value
    is_number = isinstance(value, (int, float)) and not isinstance(value, bool)
    if not is_number or (kind == "int" and not float(value).is_integer()):
        wanted = "a whole number" if kind == "int" else "a number"
        raise ConfigError(f"{key} = {value!r}: expected {wanted}")
    problem = number_problem(value, spec[0], spec[1])
    if problem:
        raise ConfigError(f"{key} = {value!r}: {problem}")
    return int(value) if kind == "int" else float(value)


def parse_variable(name: str, raw, where: str) -> Variable:
    """A variable from its TOML value: a list of values or ``{min, max, step}``.

    Parameters
    ----------
    name : str
        A key of ``VARIABLES``.
    raw : list or dict
        The TOML value.
    where : str
        The file, for messages.

    Returns
    -------
    Variable

    Raises
    ------
    ConfigError
        Naming the file and key: an empty list, a value of the wrong type or out of
        bounds, min above max, a step that is not positive.
    """
    key = f"{where} {name}"
    if isinstance(raw, list):
        if not raw:
            raise ConfigError(f"{key} = []: give at least one value")
        values = tuple(dict.fromkeys(_check_value(name, v, where) for v in raw))
        return Variable(name, values)
    if isinstance(raw, dict) and VARIABLES[name][0] != "choice":
        bad = set(raw) - {"min", "max", "step"}
        if bad or not {"min", "max"} <= set(raw):
            raise ConfigError(f"{key} = {raw!r}: expected {{min = ..., max = ..., step = ...}} "
                              "(step optional, default 1)")
        lo, hi = (_check_value(name, raw[b], where) for b in ("min", "max"))
        step = raw.get("step", 1)
        if not isinstance(step, (int, float)) or isinstance(step, bool) or not step > 0:
            raise ConfigError(f"{key} step = {step!r}: expected a number above 0")
        if lo > hi:
            raise ConfigError(f"{key}: min = {lo} is above max = {hi}")
        if VARIABLES[name][0] == "int" and not float(step).is_integer():
            raise ConfigError(f"{key} step = {step!r}: expected a whole number")
        step = int(step) if VARIABLES[name][0] == "int" else float(step)
        return _range(name, lo, hi, step)
    choices = VARIABLES[name][1] if VARIABLES[name][0] == "choice" else None
    hint = f"a list from {', '.join(choices)}" if choices else "a list or {min, max, step}"
    raise ConfigError(f"{key} = {raw!r}: expected {hint}")


def load_space(path: str | Path | None = None, quick: bool = False) -> PlanSpace:
    """The search space: the default (or quick) one, with a TOML file's variables on top.

    Parameters
    ----------
    path : str or Path, optional
        A TOML file of ``variable = [values]`` or ``variable = {min, max, step}``; the
        variables it leaves out keep the default (or quick) values.
    quick : bool
        Start from the small ``--quick`` space.

    Returns
    -------
    PlanSpace

    Raises
    ------
    ConfigError
        A missing or unreadable file, an unknown variable, or a bad value (the message
        names the file and the key).
    """
    from ..settings import read_toml

    base = QUICK_SPACE if quick else DEFAULT_SPACE
    if path is None:
        return base
    path = Path(path)
    raw = read_toml(path, "plan space")
    where = str(path)
    unknown = set(raw) - set(VARIABLES)
    if unknown:
        raise ConfigError(f"{where}: unknown decision variable(s) "
                          f"{', '.join(sorted(unknown))}; known: {', '.join(VARIABLES)}")
    variables = tuple(parse_variable(v.name, raw[v.name], where) if v.name in raw else v
                      for v in base.variables)
    return PlanSpace(variables, source=where)


@dataclass(frozen=True)
class Plan:
    """One candidate plan: its values, and what a run of it needs.

    Attributes
    ----------
    plan_id : str
        ``plan-`` and a hash of the values: the same plan has the same id (and runs) in
        every session.
    values : dict
        Decision variable -> value.
    overrides : dict
        Scenario overrides (``officers.mode``).
    params : dict
        The ``planned_patrol`` policy's parameters.
    """

    plan_id: str
    values: dict
    overrides: dict
    params: dict


def plan_of(values: dict) -> Plan:
    """Map one candidate to scenario overrides and ``planned_patrol`` parameters.

    Parameters
    ----------
    values : dict
        Decision variable -> value (every key of ``VARIABLES``).

    Returns
    -------
    Plan
    """
    values = {name: values[name] for name in VARIABLES}
    overrides = {key: values[name] for name, key in SCENARIO_VARIABLES.items()}
    params = {name: v for name, v in values.items() if name not in SCENARIO_VARIABLES}
    digest = hashlib.sha256(json.dumps(values, sort_keys=True).encode()).hexdigest()[:10]
    return Plan(f"plan-{digest}", values, overrides, params)
