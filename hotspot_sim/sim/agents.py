"""Mesa agents: officers and offenders on the street network.

The agents are thin views onto the arrays the compiled kernels update: an
agent's ``node``, ``status`` and so on read the current state, and its Mesa
``cell`` is brought up to date by :meth:`PatrolModel.sync_cells` (after each
``step`` or ``run_for``), so Mesa's spaces, data collection and visualisation
see where everyone is without Python running per agent per minute.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mesa.discrete_space import CellAgent

from .kernels import OFF_DWELL, OFF_HOME, OFF_TRAVEL, STATUS_NAMES

if TYPE_CHECKING:  # pragma: no cover
    from .model import PatrolModel

OFFENDER_STATES = {OFF_HOME: "at_home", OFF_TRAVEL: "travelling", OFF_DWELL: "at_activity"}


class StreetAgent(CellAgent):
    """An agent whose position lives in one of the kernels' ``Movers`` arrays."""

    index: int

    def _movers(self):
        raise NotImplementedError

    @property
    def node(self) -> int:
        return int(self._movers().node[self.index])

    @property
    def xy(self) -> tuple[float, float]:
        return self.model.agent_xy(self._movers(), self.index)


class Officer(StreetAgent):
    """A patrol officer (foot or car) working shifts.

    Attributes
    ----------
    index : int
        Row in the officers' kernel arrays.
    shift_start_hour : int
        Hour of the day the officer's shift begins.
    response : bool
        A response car (answers calls only), not a patrol officer.
    """

    def __init__(self, model: PatrolModel, index: int, shift_start_hour: int,
                 response: bool = False):
        super().__init__(model)
        self.index = index
        self.shift_start_hour = shift_start_hour
        self.response = response
        self.on_call = None  # the Call being answered, if any

    def _movers(self):
        return self.model.officers.pos

    @property
    def status(self) -> str:
        return STATUS_NAMES[int(self.model.officers.status[self.index])]

    @property
    def on_duty(self) -> bool:
        return self.status != "off_duty"

    def __repr__(self) -> str:
        kind = "ResponseCar" if self.response else "Officer"
        return f"{kind}({self.index}, {self.status} at node {self.node})"


class Offender(StreetAgent):
    """A motivated offender following routine activities (home, activity places).

    Attributes
    ----------
    index : int
        Row in the offenders' kernel arrays.
    home : int
        Home node.
    activity_nodes : list of int
        The awareness space: places the offender travels to.
    """

    def __init__(self, model: PatrolModel, index: int, home: int, activity_nodes: list[int]):
        super().__init__(model)
        self.index = index
        self.home = home
        self.activity_nodes = activity_nodes

    def _movers(self):
        return self.model.offenders.pos

    @property
    def state(self) -> str:
        return OFFENDER_STATES[int(self.model.offenders.state[self.index])]

    def __repr__(self) -> str:
        return f"Offender({self.index}, {self.state} at node {self.node})"
