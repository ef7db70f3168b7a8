"""The policy interface: what an officer does next, asked only at decision events.

A policy is a class with a ``name``, constructed with the model and its
``params`` (a dict from the scenario's ``[policy] params`` or the CLI), and a
:meth:`Policy.decide` method.  The model calls ``decide`` when an officer starts
a shift, runs out of orders, finishes a call, at a day boundary, and on arrival
at a :class:`Visit` given with ``notify=True``, and the
policy answers with a list of :class:`Order` objects that the compiled kernel
then carries out without returning to Python.  Give several orders at once
(e.g. a round of hot spot visits) to keep Python out of the hot loop.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from ...checks import number_problem
from ...errors import ConfigError
from ..kernels import AT_HOTSPOT, AVAILABLE, ON_CALL, PATROLLING, TRAVELLING

if TYPE_CHECKING:  # pragma: no cover
    from ..agents import Officer
    from ..model import PatrolModel

SHIFT_START, IDLE, CALL_DONE, DAY_START, ARRIVAL = (
    "shift_start", "idle", "call_done", "day_start", "arrival")
EVENTS = (SHIFT_START, IDLE, CALL_DONE, DAY_START, ARRIVAL)


@dataclass(frozen=True)
class Visit:
    """Go to ``node`` (shortest path) and stay ``minutes`` there.

    With ``notify`` the policy is asked again (event ``arrival``) on arriving;
    returning None keeps the remaining orders.
    """

    node: int
    minutes: int
    travel_status: int = TRAVELLING
    dwell_status: int = AT_HOTSPOT
    notify: bool = False


@dataclass(frozen=True)
class Walk:
    """Random patrol (a walk along the streets, not turning back) for ``minutes``."""

    minutes: int
    status: int = PATROLLING


@dataclass(frozen=True)
class Hold:
    """Stay where you are for ``minutes`` (available for calls)."""

    minutes: int
    status: int = AVAILABLE


Order = Visit | Walk | Hold


class Policy:
    """Base class.  Subclasses set ``name``, ``defaults`` and implement :meth:`decide`.

    Parameters
    ----------
    model
        The running :class:`~hotspot_sim.sim.model.PatrolModel`.
    params
        Policy parameters; unknown keys are a :class:`ConfigError`.
    """

    name: ClassVar[str] = "base"
    defaults: ClassVar[dict] = {}
    #: (lo, hi) of numeric parameters (hi None: no upper bound); any other number must be a
    #: finite number >= 0.  Checked before anything runs, with nan and inf refused.
    ranges: ClassVar[dict] = {}
    #: The values a text parameter may take (``{"between": ("station", "walk")}``); any other
    #: is a ConfigError naming them, checked before anything runs.
    choices: ClassVar[dict] = {}

    def __init__(self, model: PatrolModel, params: dict | None = None):
        self.model = model
        self.params = self.check_params(params or {})

    @classmethod
    def check_params(cls, params: dict) -> dict:
        """The policy's parameters: ``defaults`` updated with ``params``, each checked.

        Parameters
        ----------
        params : dict
            Parameters from the scenario or the CLI.

        Returns
        -------
        dict
            Every parameter, in the defaults' types (ints given for floats become floats).

        Raises
        ------
        ConfigError
            An unknown key, a value of the wrong type, a number out of its ``ranges``
            (nan and inf included), or a text value not among its ``choices``.
        """
        unknown = set(params) - set(cls.defaults)
        if unknown:
            raise ConfigError(f"policy {cls.name!r}: unknown parameter(s) "
                              f"{', '.join(sorted(unknown))}; known: "
                              f"{', '.join(cls.defaults) or 'none'}")
        merged = dict(cls.defaults)
        for key, value in params.items():
            want = type(cls.defaults[key])
            if want is float and isinstance(value, int) and not isinstance(value, bool):
                value = float(value)
            if not isinstance(value, want) or isinstance(value, bool) != (want is bool):
                raise ConfigError(f"policy {cls.name!r}: parameter {key} = {value!r} should be "
                                  f"{want.__name__}")
            numeric = isinstance(value, (int, float)) and not isinstance(value, bool)
            problem = number_problem(value, *cls.ranges.get(key, (0, None))) if numeric \
                else None  # nan and inf too
            if problem:
                raise ConfigError(f"policy {cls.name!r}: parameter {key} = {value!r}: {problem}")
            merged[key] = value
        for key, allowed in cls.choices.items():
            if merged[key] not in allowed:
                raise ConfigError(f"policy {cls.name!r}: parameter {key} = {merged[key]!r}; "
                                  f"choose one of {', '.join(allowed)}")
        return merged

    def setup(self) -> None:
        """Called once after the model is built (choose hot spots, plan, ...)."""

    def decide(self, officer: Officer, event: str) -> list[Order] | None:
        """Orders for ``officer`` at a decision ``event``.

        Parameters
        ----------
        officer : Officer
            The officer to decide for.
        event : str
            One of ``EVENTS``: ``shift_start``, ``idle``, ``call_done``, ``day_start``,
            ``arrival``.

        Returns
        -------
        list of Visit, Walk or Hold, or None
            The officer's new order queue (at most ``QUEUE_SLOTS``); None keeps the
            current one.
        """
        raise NotImplementedError

    def on_day_start(self, day: int) -> None:
        """Called at each midnight before officers are asked (e.g. re-randomise).

        Parameters
        ----------
        day : int
            The calendar day that begins (:meth:`PatrolModel.day_index`).
        """

    def outputs(self) -> dict:
        """Extra tables (name -> DataFrame) written with the run, e.g. an assignment table."""
        return {}


__all__ = ["Policy", "Visit", "Walk", "Hold", "Order", "EVENTS", "SHIFT_START", "IDLE", "ARRIVAL",
           "CALL_DONE", "DAY_START", "AT_HOTSPOT", "AVAILABLE", "ON_CALL", "PATROLLING",
           "TRAVELLING"]
