"""Experiments: the TOML model of arms x sweep grid x replications.

An experiment file (TOML, in ``experiments/``) names a scenario, the arms
(policy + parameters + scenario overrides), the number of replications and an
optional sweep grid over any scenario key (``section.key``) or policy parameter
(``policy.<param>``).  :func:`load_experiment` reads and checks it;
:func:`scenario_for` and :func:`policy_params` give what one run of an arm at a
grid point simulates.  Tasks, seeds and run keys are made in :mod:`.runs`; the
runs are executed by :func:`hotspot_sim.trial.runner.run_experiment`.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ..checks import MAX_DAYS, MAX_SEED, MIN_DAYS, check_name, check_number
from ..errors import ConfigError

if TYPE_CHECKING:
    from ..settings import Scenario

EXPERIMENT_KEYS = {"name", "description", "scenario", "days", "replications", "seed", "control",
                   "hotspots", "hotspot_radius_m", "rings_m"}
QUICK_KEYS = ("days", "replications")
# Ranges of the [experiment] numbers (also used for [quick]); beyond them a value is a typo.
DAYS_RANGE = {"lo": MIN_DAYS, "hi": MAX_DAYS}
REPLICATIONS_RANGE = {"lo": 1, "hi": 100_000, "integer": True}
MAX_GRID_POINTS = 10_000


@dataclass(frozen=True)
class Arm:
    """One arm: a policy, its parameters and scenario overrides."""

    name: str
    policy: str
    params: dict = field(default_factory=dict)
    overrides: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Experiment:
    """An experiment: arms run on one scenario, over a sweep grid, with replications.

    Attributes
    ----------
    name : str
        Names the results folder and the report.
    scenario : str
        Scenario name or TOML path (relative to ``source``'s folder).
    arms : tuple of Arm
        The policies compared; ``control`` names the reference arm.
    days : float
        Simulated days per run.
    replications : int
        Runs per arm and grid point (common random numbers across arms).
    seed : int
        Root seed every run's seed is derived from.
    control : str or None
        The arm changes are measured against.
    grid : dict
        ``"section.key"`` or ``"policy.<param>"`` -> list of values to sweep.
    quick : dict
        The file's ``[quick]`` table (``days``, ``replications``).
    hotspots, hotspot_radius_m, rings_m
        The places every arm is measured at: the top-``hotspots`` harm places of the
        observed data, their radius and the catchment rings beyond it (metres).
    description, source : str
        Free text, and the file it was read from (names it in messages).
    quick_version : bool
        Made by :meth:`with_quick` (recorded in the manifest and the report).
    """

    name: str
    scenario: str
    arms: tuple[Arm, ...]
    days: float = 90.0
    replications: int = 20
    seed: int = 20211101
    control: str | None = None
    grid: dict = field(default_factory=dict)
    quick: dict = field(default_factory=dict)
    hotspots: int = 20            # places measured as "hot spots" in every arm
    hotspot_radius_m: float = 100.0
    rings_m: tuple = (100.0, 200.0)  # catchment rings beyond the hot spot radius
    description: str = ""
    source: str = "<experiment>"
    quick_version: bool = False   # made by with_quick (recorded in the manifest and report)

    def grid_points(self) -> list[dict]:
        """Every combination of the grid's values (one empty point without a grid).

        Returns
        -------
        list of dict
            ``{"section.key": value, ...}`` per point, in ``itertools.product`` order.
        """
        if not self.grid:
            return [{}]
        keys = list(self.grid)
        return [dict(zip(keys, values)) for values in itertools.product(*self.grid.values())]

    def with_quick(self) -> Experiment:
        """The ``--quick`` version: the file's ``[quick]`` values (default 3 days, 2 reps).

        Returns
        -------
        Experiment
            A copy with the quick days and replications and the first two values of each
            grid list, marked ``quick_version``.
        """
        q = {"days": 3.0, "replications": 3, **self.quick}
        return Experiment(**{**self.__dict__, "days": float(q["days"]),
                             "replications": int(q["replications"]),
                             "grid": {k: v[:2] for k, v in self.grid.items()},
                             "quick_version": True})


@dataclass(frozen=True)
class Task:
    """One run of the experiment."""

    task_id: str
    arm: Arm
    grid_index: int
    grid_point: dict
    replication: int
    seed: int
    key: str = ""      # hash of everything that determines the run (see run_config)
    config: str = ""   # that configuration as canonical JSON, to say what differs


def load_experiment(path: str | Path) -> Experiment:
    """Read and validate an experiment file (errors name the key and the file).

    Every arm's scenario at every grid point and every policy parameter is checked
    here, so a mistake fails at once rather than in a worker hours later.

    Parameters
    ----------
    path : str or Path
        A TOML file, or the name of a shipped experiment (``policy_comparison``).

    Returns
    -------
    Experiment

    Raises
    ------
    ConfigError
        Unknown tables or keys, numbers out of range, a bad arm, grid, scenario
        override or policy parameter; the message names the file and the key.
    """
    from ..locations import resolve_toml
    from ..settings import read_toml

    path = resolve_toml(path, "experiments")
    raw = read_toml(path, "experiment")
    where = str(path)
    unknown = set(raw) - {"experiment", "arms", "grid", "quick"}
    if unknown:
        raise ConfigError(f"{where}: unknown table(s) {', '.join(sorted(unknown))}; expected "
                          "[experiment], [[arms]], [grid], [quick]")
    head = raw.get("experiment")
    if not isinstance(head, dict):
        raise ConfigError(f"{where}: missing [experiment] table")
    bad = set(head) - EXPERIMENT_KEYS
    if bad:
        raise ConfigError(f"{where} [experiment]: unknown key(s) {', '.join(sorted(bad))}; "
                          f"known: {', '.join(sorted(EXPERIMENT_KEYS))}")
    for key in ("name", "scenario"):
        if not isinstance(head.get(key), str):
            raise ConfigError(f"{where} [experiment] {key}: required, a string")
    check_name(head["name"], f"{where} [experiment] name")
    if not isinstance(head.get("description", ""), str):
        raise ConfigError(f"{where} [experiment] description = {head['description']!r}: "
                          "expected a string")
    exp = Experiment(
        name=head["name"], scenario=head["scenario"], arms=tuple(_parse_arms(raw, where)),
        days=_number(head, "days", 90.0, where, **DAYS_RANGE),
        seed=_number(head, "seed", 20211101, where, lo=0, hi=MAX_SEED, integer=True),
        replications=_number(head, "replications", 20, where, **REPLICATIONS_RANGE),
        control=head.get("control"), grid=_parse_grid(raw.get("grid", {}), where),
        quick=_parse_quick(raw.get("quick", {}), where),
        hotspots=_number(head, "hotspots", 20, where, lo=1, hi=10_000, integer=True),
        hotspot_radius_m=_number(head, "hotspot_radius_m", 100.0, where, lo=1, hi=5000),
        rings_m=_parse_rings(head.get("rings_m", (100.0, 200.0)), where),
        description=head.get("description", ""), source=where)
    names = [a.name for a in exp.arms]
    if exp.control is not None and exp.control not in names:
        raise ConfigError(f"{where} [experiment] control = {exp.control!r}: not an arm "
                          f"({', '.join(names)})")
    for arm in exp.arms:  # fail now, not in a worker, on a bad scenario, key or policy
        for point in exp.grid_points():
            scenario_for(exp, arm, point)
        _check_policy(exp, arm)
    _check_grid_policy_params(exp)
    return exp


def _number(table: dict, key: str, default, where: str, lo: float | None = None,
            hi: float | None = None, integer: bool = False, section: str = "experiment"):
    """``table[key]`` (or ``default``) checked as a finite number in ``[lo, hi]``."""
    return check_number(table.get(key, default), f"{where} [{section}] {key}", lo, hi,
                        integer=integer)


def _parse_quick(quick, where: str) -> dict:
    """The ``[quick]`` table: ``days`` and ``replications``, checked like ``[experiment]``."""
    if not isinstance(quick, dict):
        raise ConfigError(f"{where}: quick = {quick!r} must be a table [quick]")
    bad = set(quick) - set(QUICK_KEYS)
    if bad:
        raise ConfigError(f"{where} [quick]: unknown key(s) {', '.join(sorted(bad))}; "
                          f"known: {', '.join(QUICK_KEYS)}")
    ranges = {"days": DAYS_RANGE, "replications": REPLICATIONS_RANGE}
    for key in quick:
        _number(quick, key, None, where, section="quick", **ranges[key])
    return dict(quick)


def _parse_rings(rings, where: str) -> tuple:
    """``rings_m``: catchment ring distances beyond the hot spot radius, each positive and
    at least 1 m beyond the one before (ring names are whole metres, so they stay distinct)."""
    key = f"{where} [experiment] rings_m"
    if not isinstance(rings, (list, tuple)):
        raise ConfigError(f"{key} = {rings!r}: expected a list of distances in metres, "
                          "e.g. [100, 200]")
    for i, r in enumerate(rings):
        check_number(r, f"{key} item {i + 1}", 0, 100_000, lo_open=True)
        if i and r < rings[i - 1] + 1:
            raise ConfigError(f"{key} = {list(rings)!r}: distances must increase (by at least "
                              "1 m)")
    return tuple(rings)


def _parse_arms(raw: dict, where: str) -> list[Arm]:
    arms = raw.get("arms")
    if not isinstance(arms, list) or not arms:
        raise ConfigError(f"{where}: needs at least one [[arms]] table")
    out, seen = [], set()
    for i, a in enumerate(arms, start=1):
        if not isinstance(a, dict):
            raise ConfigError(f"{where} arm {i}: expected an [[arms]] table, got {a!r}")
        for key in ("params", "set"):
            if not isinstance(a.get(key, {}), dict):
                raise ConfigError(f"{where} arm {i} {key} = {a[key]!r}: expected a table, "
                                  "e.g. { key = value }")
        bad = set(a) - {"name", "policy", "params", "set"}
        if bad:
            raise ConfigError(f"{where} arm {i}: unknown key(s) {', '.join(sorted(bad))}; "
                              "known: name, policy, params, set")
        if not isinstance(a.get("policy"), str):
            raise ConfigError(f"{where} arm {i}: 'policy' is required")
        name = a.get("name", a["policy"])
        check_name(name, f"{where} arm {i} name")
        if name in seen:
            raise ConfigError(f"{where} arm {i}: duplicate arm name {name!r}")
        seen.add(name)
        out.append(Arm(name=name, policy=a["policy"], params=dict(a.get("params", {})),
                       overrides=dict(a.get("set", {}))))
    return out


def _parse_grid(grid: dict, where: str) -> dict:
    if not isinstance(grid, dict):
        raise ConfigError(f"{where}: grid = {grid!r} must be a table [grid] of "
                          "'section.key' = [values]")
    for key, values in grid.items():
        if not isinstance(values, list) or not values:
            raise ConfigError(f"{where} [grid] {key}: expected a non-empty list of values")
        if "." not in key:
            raise ConfigError(f"{where} [grid] {key}: use 'section.key' or 'policy.<param>'")
    points = int(np.prod([len(v) for v in grid.values()], dtype=float))
    if points > MAX_GRID_POINTS:  # each point is checked now and run later: refuse a typo
        raise ConfigError(f"{where} [grid]: {points:,} grid points (the product of the list "
                          f"lengths); at most {MAX_GRID_POINTS:,}")
    return dict(grid)


def scenario_for(exp: Experiment, arm: Arm, point: dict) -> Scenario:
    """The validated scenario of one arm at one grid point.

    Parameters
    ----------
    exp : Experiment
        The experiment (its scenario is read relative to ``exp.source``).
    arm : Arm
        Its overrides apply first.
    point : dict
        A grid point; its scenario keys (not ``policy.<param>``) apply on top.

    Returns
    -------
    Scenario

    Raises
    ------
    ConfigError
        An override names an unknown key or a value out of range.
    """
    from ..settings import load_scenario

    scenario = load_scenario(exp.scenario, relative_to=Path(exp.source).parent)
    overrides = {**arm.overrides, **{k: v for k, v in point.items() if not k.startswith("policy.")}}
    try:
        return scenario.replace(overrides) if overrides else scenario
    except ConfigError as exc:
        raise ConfigError(f"{exp.source} arm {arm.name!r}: {exc}") from None


def _check_policy(exp: Experiment, arm: Arm) -> None:
    """The arm's policy exists and accepts its parameters, and each swept value."""
    from ..sim.policies import get_policy

    try:
        cls = get_policy(arm.policy)
        cls.check_params(arm.params)
    except ConfigError as exc:
        raise ConfigError(f"{exp.source} arm {arm.name!r}: {exc}") from None
    for point in exp.grid_points():  # each swept value is checked as the parameter it sets
        swept = {k.removeprefix("policy."): v for k, v in point.items()
                 if k.startswith("policy.") and k.removeprefix("policy.") in cls.defaults}
        try:
            cls.check_params({**arm.params, **swept})
        except ConfigError as exc:
            raise ConfigError(f"{exp.source} [grid] arm {arm.name!r}: {exc}") from None


def _check_grid_policy_params(exp: Experiment) -> None:
    """A swept ``policy.<param>`` applies to the arms whose policy has it; some arm must."""
    from ..sim.policies import get_policy

    accepted = set().union(*(get_policy(a.policy).defaults for a in exp.arms))
    for key in exp.grid:
        if key.startswith("policy.") and key.removeprefix("policy.") not in accepted:
            raise ConfigError(f"{exp.source} [grid] {key}: no arm's policy has this parameter")


def policy_params(arm: Arm, point: dict) -> dict:
    """The arm's policy parameters with the grid point's ``policy.<param>`` values it accepts.

    Parameters
    ----------
    arm : Arm
        The arm (its policy decides which parameters apply).
    point : dict
        A grid point.

    Returns
    -------
    dict
        Parameter name -> value.
    """
    from ..sim.policies import get_policy

    accepted = get_policy(arm.policy).defaults
    swept = {k.removeprefix("policy."): v for k, v in point.items() if k.startswith("policy.")}
    return {**arm.params, **{k: v for k, v in swept.items() if k in accepted}}

