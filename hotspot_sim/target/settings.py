"""How hot spots are chosen and forecast: the settings of Target, checked on creation.

:class:`TargetSettings` (how many hot spots, how far apart, ranked by what)
and :class:`ProspectiveSettings` (prospective hotspotting's distance and time
decay) are frozen dataclasses that check every value when made; each default
names its source where it is set.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from ..errors import ConfigError

RANK_BY = ("harm", "count", "composite")
LEVELS = ("node", "micro")
_WINDOW_RE = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]):([0-5]\d)$")


@dataclass(frozen=True)
class TargetSettings:
    """How hot spots are chosen.

    Attributes
    ----------
    k : int
        Hot spots to choose.  Southend-on-Sea used 20 (Basford et al. 2021),
        Bedfordshire 21 (Bland et al. 2021).
    min_separation_m : float
        Smallest straight-line distance between two hot spot centres.  300 m
        is two 100 m catchments plus the 100 m buffer in which Bland et al.
        (2021) found no displacement, so a treated hot spot's deterrence does
        not spill into an untreated one (Braga et al. 2019: diffusion of
        benefits is common).
    radius_m : float
        A hot spot's catchment: crimes within this distance of its centre
        node.  Trial hot spots are 100-150 m across (Ariel et al. 2016: 150 m
        radius; Bland et al. 2021: 100 m buffers); matches
        ``deterrence.radius_m``.
    rank_by : str
        ``"harm"`` (CHI days; Sherman 2013 ranks by harm), ``"count"``
        (crimes, ASB excluded) or ``"composite"``.
    w_asb, w_count : float
        Composite score = harm + ``w_asb`` * ASB incidents + ``w_count`` *
        crimes.  ``w_asb`` = 1 day per incident as in the Hertfordshire
        harm index (``crime.asb_weight_in_index``).
    level : str
        ``"node"``: each street node with its catchment is a candidate place;
        ``"micro"``: square micro-places of ``cell_m`` metres.
    cell_m : float
        Micro-place size (trial hot spots are 100-150 m across).
    windows : tuple of str
        Optional time-of-day windows ("18:00-02:00") stored with the hot
        spots for policies to use: one for all, or one per hot spot.
    """

    k: int = 20
    min_separation_m: float = 300.0
    radius_m: float = 100.0
    rank_by: str = "harm"
    w_asb: float = 1.0
    w_count: float = 0.0
    level: str = "node"
    cell_m: float = 125.0
    windows: tuple[str, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        check_positive_int(self.k, "k")
        check_non_negative(self.min_separation_m, "min_separation_m")
        check_non_negative(self.radius_m, "radius_m")
        check_non_negative(self.w_asb, "w_asb")
        check_non_negative(self.w_count, "w_count")
        check_choice(self.rank_by, RANK_BY, "rank_by")
        check_choice(self.level, LEVELS, "level")
        if not self.cell_m > 0:
            raise ConfigError(f"cell_m must be > 0, got {self.cell_m!r}")
        check_windows(self.windows, self.k)


@dataclass(frozen=True)
class ProspectiveSettings:
    """Prospective hotspotting (Bowers, Johnson & Pease 2004).

    A past crime ``d`` metres away and ``t`` months old adds
    ``1 / ((1 + d/distance_scale_m) (1 + t/time_scale_months))`` to a place,
    if ``d <= max_distance_m`` and ``t <= max_age_months``.  Bowers et al.
    measured distance in 50 m grid cells and time in weeks, cut off at about
    400 m and 8 weeks (near repeats last 2 weeks to 2 months; Johnson et al.
    2007).  police.uk gives months only, so a crime's age is taken from the
    middle of its month to the end of training: 0.5 months for the last
    training month, 1.5 for the one before; with the 8-week cut-off only the
    last two training months count.
    """

    distance_scale_m: float = 50.0
    time_scale_months: float = 7 / 30.4375  # one week
    max_distance_m: float = 400.0
    max_age_months: float = 8 * 7 / 30.4375  # eight weeks

    def __post_init__(self) -> None:
        for name in ("distance_scale_m", "time_scale_months", "max_distance_m", "max_age_months"):
            if not getattr(self, name) > 0:
                raise ConfigError(f"prospective {name} must be > 0, got {getattr(self, name)!r}")


def check_positive_int(value, name: str) -> None:
    """Raise ConfigError naming `name` unless `value` is a whole number >= 1 (a bool is not)."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ConfigError(f"{name} must be an integer >= 1, got {value!r}")


def check_non_negative(value, name: str) -> None:
    """Raise ConfigError naming `name` unless `value` is a finite number >= 0 (a bool is not)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value >= 0 \
            or not math.isfinite(value):
        raise ConfigError(f"{name} must be a finite number >= 0, got {value!r}")


def check_choice(value, choices: Sequence[str], name: str) -> None:
    """Raise ConfigError naming `name` and the choices unless `value` is one of `choices`."""
    if value not in choices:
        raise ConfigError(f"{name} = {value!r}: must be one of {', '.join(choices)}")


def parse_window(window: str) -> tuple[int, int]:
    """Read a time-of-day window as minutes after midnight.

    An end before the start wraps past midnight:
    ``parse_window("18:00-02:00") == (1080, 120)``.

    Parameters
    ----------
    window : str
        ``HH:MM-HH:MM`` (24-hour clock).

    Returns
    -------
    start, end : int
        Minutes after midnight.

    Raises
    ------
    ConfigError
        If the text is not ``HH:MM-HH:MM`` (24-hour clock).
    """
    m = _WINDOW_RE.match(str(window).strip())
    if not m:
        raise ConfigError(f"windows: {window!r} is not a time-of-day window like '18:00-02:00'")
    h1, m1, h2, m2 = map(int, m.groups())
    return 60 * h1 + m1, 60 * h2 + m2


def check_windows(windows, k: int) -> None:
    """Raise ConfigError unless `windows` holds none, one, or `k` valid time-of-day windows."""
    if isinstance(windows, str):
        raise ConfigError(f"windows must be a sequence of strings, got the string {windows!r}")
    if len(windows) not in (0, 1, k):
        raise ConfigError(f"windows: give none, one for all or one per hot spot (k={k}), "
                          f"got {len(windows)}")
    for w in windows:
        parse_window(w)
