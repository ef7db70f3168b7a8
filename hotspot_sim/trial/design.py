"""The real trial's design: who is patrolled on which day, its power, hours and cost.

:func:`plan_trial` turns a hot spot table and a :class:`TrialDesign` into a
:class:`TrialPlan`: the randomisation schedule (hot spot x day -> patrol or not),
the power of that very design from simulation (:func:`~hotspot_sim.trial.power.power`)
and the officer hours and cost it asks for.  The pack that ``hotspot-sim trial
design`` writes from it (schedule, geofences, protocol) is in :mod:`.pack`.

Treatment is assigned by the code that draws simulated trials in
:mod:`.power` (``_assign``), with the hot spots' own baseline rates, so the
power figure describes the schedule that is written:

``crossover``
    Every day a fixed number, ``round(treat_share x hot spots)``, is drawn
    afresh (Basford et al. 2021, Southend: 8 of 20 a day, 720 of 1,800
    place-days; Bland et al. 2021, Bedfordshire: 7 of 21).
``parallel``
    That many hot spots are patrolled on every day of the trial, the others
    never (Sherman & Weisburd 1995: 55 of 110).
``block``
    Hot spots ranked by baseline crimes form pairs (``block_size``; a
    remainder joins the busiest block); one of each pair is patrolled for the
    whole trial.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..errors import ConfigError, DataError
from .design_defaults import (DEFAULT_DAYS, DEFAULT_EFFECT, DEFAULT_MINUTES,
                              DEFAULT_TREAT_SHARE, DEFAULT_VISITS)
from .spot_days import DESIGNS

#: Hot spots per block in the block design (matched pairs).
BLOCK_SIZE = 2
#: Car speed in town for the travel estimate: about 30 km/h (REFERENCE.md, Operations).
CAR_SPEED_KMH = 30.0
#: Re-drawn assignments per simulated trial in the harm power (as power()'s default; at
#: alpha = 0.05 the test has exact size with 199).
HARM_PERMUTATIONS = 199
#: Days per month when turning monthly police.uk counts into daily rates.
DAYS_PER_MONTH = 30.4

ARMS = {"crossover": "daily draw", "parallel": ("treatment", "control"),
        "block": ("treatment", "control")}


@dataclass(frozen=True)
class TrialDesign:
    """How the real trial assigns patrol (checked on creation).

    Attributes
    ----------
    design : {"crossover", "parallel", "block"}
        See the module docstring.
    days : int
        Trial length in days (default :data:`DEFAULT_DAYS`).
    start : datetime.date
        Day 0 of the trial.
    minutes : float
        Minutes per visit (default :data:`DEFAULT_MINUTES`).
    visits : int
        Visits per patrolled spot-day (default :data:`DEFAULT_VISITS`).
    treat_share : float or None
        Share of hot spots patrolled; None = the design's default
        (:data:`DEFAULT_TREAT_SHARE`).
    seed : int
        Seed of the randomisation (numpy ``SeedSequence``): the same seed gives the
        same schedule.
    block_size : int
        Hot spots per block in the block design.

    Raises
    ------
    ConfigError
        Naming the field: unknown design, days or visits below 1, minutes not
        above 0, a share outside (0, 1), a negative seed.
    """

    design: str
    days: int
    start: dt.date
    minutes: float = DEFAULT_MINUTES
    visits: int = DEFAULT_VISITS
    treat_share: float | None = None
    seed: int = 0
    block_size: int = BLOCK_SIZE

    def __post_init__(self) -> None:
        if self.design not in DESIGNS:
            raise ConfigError(f"design={self.design!r}: choose one of {', '.join(DESIGNS)}")
        for name in ("days", "visits", "block_size"):
            value = getattr(self, name)
            if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < 1:
                raise ConfigError(f"{name}={value!r} must be a whole number >= 1")
        if not (math.isfinite(self.minutes) and self.minutes > 0):
            raise ConfigError(f"minutes={self.minutes!r} must be a number of minutes above 0")
        if not 0 < self.share < 1:
            raise ConfigError(f"treat_share={self.treat_share!r} must be strictly between 0 "
                              "and 1")
        if not isinstance(self.seed, (int, np.integer)) or self.seed < 0:
            raise ConfigError(f"seed={self.seed!r} must be a whole number >= 0")
        if not isinstance(self.start, dt.date):
            raise ConfigError(f"start={self.start!r} must be a date")

    @property
    def share(self) -> float:
        """The share of hot spots patrolled (the design's default when not given)."""
        return DEFAULT_TREAT_SHARE[self.design] if self.treat_share is None else self.treat_share

    @property
    def dates(self) -> pd.DatetimeIndex:
        """The trial's dates, day 0 first."""
        return pd.date_range(self.start, periods=self.days, freq="D")


@dataclass
class TrialPlan:
    """A trial ready to write: hot spots, schedule, power, hours and cost.

    Attributes
    ----------
    hotspots : pandas.DataFrame
        ``rank, hotspot_id, x, y, lon, lat, radius_m, crimes, baseline_per_day, arm,
        block, treated_days`` and the input table's other columns.
    schedule : pandas.DataFrame
        ``date, day, hotspot_id, treated, planned_minutes, visits, block`` (one row
        per hot spot per day, by day then rank).
    design : TrialDesign
    power : dict
        The :func:`~hotspot_sim.trial.power.power` row for this design (``power``,
        ``ci_low``, ``ci_high``, ``n_sims``, ``effect``, ...; not its timing, so the
        pack is the same bytes each time) plus ``alpha``, and ``harm`` (the power of the
        harm analysis, :func:`harm_power`) when harm weights are given.
    resources : dict
        ``treated_spot_days``, ``patrol_hours``, ``travel_km``, ``travel_hours``,
        ``cost_per_hour``, ``patrol_cost``, ``travel_cost``.
    baseline_days : float
        Days of data the baseline counts cover.
    scenario : str
        The scenario the hot spots and baseline come from.
    hotspot_source : str
        A sentence saying how the hot spots were chosen.
    baseline : str
        The data the baseline counts come from (e.g. the months).
    """

    hotspots: pd.DataFrame
    schedule: pd.DataFrame
    design: TrialDesign
    power: dict = field(default_factory=dict)
    resources: dict = field(default_factory=dict)
    baseline_days: float = math.nan
    scenario: str = ""
    hotspot_source: str = ""
    baseline: str = ""


def next_monday(today: dt.date) -> dt.date:
    """The first Monday after ``today`` (a week on when ``today`` is a Monday).

    Parameters
    ----------
    today : datetime.date

    Returns
    -------
    datetime.date
    """
    return today + dt.timedelta(days=7 - today.weekday())


def randomise(design: TrialDesign, baseline_rates: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Draw who is patrolled on which day, as the power simulation draws it.

    Parameters
    ----------
    design : TrialDesign
        Design, days, share, seed and block size.
    baseline_rates : numpy.ndarray
        Crimes per day of each hot spot, in rank order (the block design pairs by it).

    Returns
    -------
    treated : numpy.ndarray
        (hot spots, days) bool.
    block : numpy.ndarray
        Block number of each hot spot (1.. in the block design, 0 otherwise).

    Raises
    ------
    ConfigError
        Fewer than 2 hot spots (2 blocks for the block design), or a share that
        leaves no patrolled or no control hot spot.
    """
    from .power import _assign, _check_sim_args

    rates = np.asarray(baseline_rates, float)
    n = len(rates)
    if n < 2:
        raise ConfigError(f"a trial needs at least 2 hot spots (patrolled and control); "
                          f"got {n}")
    if design.design == "block" and n < 2 * design.block_size:
        raise ConfigError(f"a block design needs at least 2 blocks of {design.block_size}, "
                          f"i.e. {2 * design.block_size} hot spots; got {n}")
    _check_sim_args(design.design, n, design.days, 1.0, None, design.share, design.block_size)
    rng = np.random.default_rng(np.random.SeedSequence(design.seed))
    treated, blocks = _assign(design.design, 1, n, design.days, rates[None, :], design.share,
                              design.block_size, rng)
    block = blocks[0] + 1 if design.design == "block" else np.zeros(n, dtype=np.int64)
    return np.ascontiguousarray(treated[0]), block


def build_schedule(hotspot_ids, treated: np.ndarray, block: np.ndarray,
                   design: TrialDesign) -> pd.DataFrame:
    """The schedule table (``track --plan`` format) from the assignment.

    Parameters
    ----------
    hotspot_ids : sequence
        Hot spot ids in rank order.
    treated : numpy.ndarray
        (hot spots, days) bool from :func:`randomise`.
    block : numpy.ndarray
        Block of each hot spot.
    design : TrialDesign

    Returns
    -------
    pandas.DataFrame
        ``date, day, hotspot_id, treated, planned_minutes, visits, block``; one row per
        day and hot spot, by day then rank; ``planned_minutes`` and ``visits`` are 0 on
        control days.  ``block`` is the stratum the assignment was drawn in: the day
        for a crossover (a fixed number treated each day), the pair (1..) for the block
        design, 0 for a parallel design (one draw for the whole trial).
    """
    n, days = treated.shape
    on = treated.T.ravel()  # day-major: a day's rows together, as officers read it
    visits = np.where(on, design.visits, 0)
    return pd.DataFrame({
        "date": np.repeat(design.dates.strftime("%Y-%m-%d").to_numpy(), n),
        "day": np.repeat(np.arange(days), n),
        "hotspot_id": np.tile(np.asarray(hotspot_ids), days),
        "treated": np.where(on, "true", "false"),
        "planned_minutes": visits * design.minutes,
        "visits": visits,
        # the stratum the assignment was drawn in: the day (crossover), the pair (block)
        "block": np.repeat(np.arange(days), n) if design.design == "crossover"
        else np.tile(block, days),
    })


def design_trial(study, design: TrialDesign, *, k: int | None = None, rank_by: str = "harm",
                 eligibility: bool = False, hotspots=None, effect: float = DEFAULT_EFFECT,
                 n_sims: int = 200, alpha: float = 0.05, cost_per_hour: float | None = None,
                 progress=None) -> TrialPlan:
    """Choose a study's hot spots and plan the trial on them (``hotspot-sim trial design``).

    Parameters
    ----------
    study : Study
        The scenario's network and crimes: the baseline for the power figures.
    design : TrialDesign
    k, rank_by, eligibility, hotspots
        How the hot spots are chosen (:func:`~hotspot_sim.trial.spots.trial_hotspots`).
    effect, n_sims, alpha, cost_per_hour, progress
        As :func:`plan_trial`.

    Returns
    -------
    TrialPlan
        With ``scenario``, ``hotspot_source`` and ``baseline`` filled in, ready for
        :func:`~hotspot_sim.trial.pack.write_pack`.

    Raises
    ------
    ConfigError, DataError
        As :func:`~hotspot_sim.trial.spots.trial_hotspots` and :func:`plan_trial`.
    """
    from .spots import harm_weights_within, trial_hotspots

    table, source = trial_hotspots(study, k, rank_by, eligibility, hotspots)
    weights = harm_weights_within(study, table["x"], table["y"], table["radius_m"])
    plan = plan_trial(table, design, DAYS_PER_MONTH * len(study.months), effect=effect,
                      n_sims=n_sims, alpha=alpha, cost_per_hour=cost_per_hour,
                      harm_weights=weights, progress=progress)
    plan.scenario = study.scenario.scenario.name
    plan.hotspot_source = source
    plan.baseline = (f"the scenario's recorded crime, {study.months[0]} to "
                     f"{study.months[-1]}")
    return plan


def plan_trial(hotspots: pd.DataFrame, design: TrialDesign, baseline_days: float,
               effect: float = DEFAULT_EFFECT, n_sims: int = 200, alpha: float = 0.05,
               cost_per_hour: float | None = None, harm_weights=None,
               progress=None) -> TrialPlan:
    """Randomise the trial and work out its power, hours and cost.

    Parameters
    ----------
    hotspots : pandas.DataFrame
        Best first: ``hotspot_id, x, y`` (EPSG:27700 m), ``radius_m`` and
        ``crimes`` (crimes in the baseline period, ASB excluded); ``lon, lat``
        are added when missing.
    design : TrialDesign
    baseline_days : float
        Days the ``crimes`` counts cover (rates = crimes / baseline_days).
    effect : float
        Rate ratio on patrolled spot-days the power is computed for.
    n_sims : int
        Simulated trials for the power estimate.
    alpha : float
        Significance level (two-sided).
    cost_per_hour : float, optional
        Cost of an officer hour (default
        :data:`~hotspot_sim.trial.economics.DEFAULT_COST_PER_OFFICER_HOUR`).
    harm_weights : array-like, optional
        Harm (CHI days) of the hot spots' baseline crimes
        (:func:`~hotspot_sim.trial.spots.harm_weights_within`): with them,
        ``power["harm"]`` is the power of
        the primary (harm) analysis (:func:`harm_power`).
    progress : callable, optional
        Passed to :func:`~hotspot_sim.trial.power.power`.

    Returns
    -------
    TrialPlan

    Raises
    ------
    DataError
        A missing column, duplicate ids, or hot spots with no crime at all in
        the baseline (no power can be computed: are they in the study area?).
    ConfigError
        A design the hot spots cannot carry (see :func:`randomise`).
    """
    from .economics import DEFAULT_COST_PER_OFFICER_HOUR
    from .power import power

    table = _checked_hotspots(hotspots)
    if not (math.isfinite(baseline_days) and baseline_days > 0):
        raise ConfigError(f"baseline_days={baseline_days!r} must be a number of days above 0")
    rates = table["crimes"].to_numpy(float) / baseline_days
    treated, block = randomise(design, rates)
    table = _describe_arms(table.assign(baseline_per_day=rates), treated, block, design)
    schedule = build_schedule(table["hotspot_id"], treated, block, design)
    row = power(design.design, [len(table)], [design.days], rates, effect, alpha=alpha,
                n_sims=n_sims, seed=design.seed, treat_share=design.share,
                block_size=design.block_size, progress=progress).iloc[0]
    counts_power = {**_plain(row.drop("seconds").to_dict()), "alpha": alpha}
    weights = np.asarray([] if harm_weights is None else harm_weights, float)
    if weights.size:
        counts_power["harm"] = harm_power(design, rates, weights, effect, n_sims, alpha)
    cost = DEFAULT_COST_PER_OFFICER_HOUR if cost_per_hour is None else float(cost_per_hour)
    resources = officer_hours(table, treated, design, cost)
    return TrialPlan(hotspots=table, schedule=schedule, design=design,
                     power=counts_power, resources=resources,
                     baseline_days=float(baseline_days))


def officer_hours(hotspots: pd.DataFrame, treated: np.ndarray, design: TrialDesign,
                  cost_per_hour: float) -> dict:
    """Patrol hours the schedule asks for, a travel estimate, and their cost.

    Patrol hours = patrolled spot-days x visits x minutes / 60.  Travel is extra:
    it is estimated as one car visiting a day's patrolled hot spots in a
    nearest-neighbour loop (straight lines, at :data:`CAR_SPEED_KMH`), once per
    visit round, leaving out the trips from and to the station; streets are
    longer than straight lines, so it is a low estimate.

    Parameters
    ----------
    hotspots : pandas.DataFrame
        ``x, y`` in rank order.
    treated : numpy.ndarray
        (hot spots, days) bool.
    design : TrialDesign
    cost_per_hour : float
        Cost of an officer hour.

    Returns
    -------
    dict
        ``treated_spot_days, control_spot_days, patrol_hours, travel_km,
        travel_hours, cost_per_hour, patrol_cost, travel_cost``.
    """
    xy = hotspots[["x", "y"]].to_numpy(float)
    on = int(treated.sum())
    patrol_hours = on * design.visits * design.minutes / 60
    km = sum(loop_length_m(xy[treated[:, d]]) for d in range(treated.shape[1])) \
        * design.visits / 1000
    travel_hours = km / CAR_SPEED_KMH
    return {"treated_spot_days": on, "control_spot_days": int(treated.size - on),
            "patrol_hours": patrol_hours, "travel_km": km, "travel_hours": travel_hours,
            "cost_per_hour": cost_per_hour, "patrol_cost": patrol_hours * cost_per_hour,
            "travel_cost": travel_hours * cost_per_hour}


def loop_length_m(xy: np.ndarray) -> float:
    """Length of a nearest-neighbour loop through the points, starting at the first.

    Parameters
    ----------
    xy : numpy.ndarray
        (n, 2) metres.

    Returns
    -------
    float
        Metres (0 for fewer than 2 points).
    """
    if len(xy) < 2:
        return 0.0
    left = list(range(1, len(xy)))
    here, total = 0, 0.0
    while left:
        dist = np.hypot(*(xy[left] - xy[here]).T)
        i = int(np.argmin(dist))
        total += float(dist[i])
        here = left.pop(i)
    return total + float(np.hypot(*(xy[here] - xy[0])))


def harm_power(design: TrialDesign, rates: np.ndarray, weights: np.ndarray, effect: float,
               n_sims: int, alpha: float) -> dict:
    """Power of the trial's harm analysis, by simulation.

    Counts are drawn as :func:`~hotspot_sim.trial.power.power` draws them (same
    design, rates and effect); each simulated crime's harm is drawn from
    ``weights`` (the hot spots' own crimes); each trial is tested as the protocol's
    primary test: the randomisation test of the GLM rate ratio of harm
    (:func:`_randomisation_test`, as ``trial analyse`` runs it), with
    :data:`HARM_PERMUTATIONS` re-drawn assignments (exact size; a cluster-robust GLM
    Wald test rejects too often when a few crimes weigh thousands of days).

    Parameters
    ----------
    design : TrialDesign
    rates : numpy.ndarray
        Crimes per day of each hot spot.
    weights : numpy.ndarray
        Harm of the baseline crimes (non-empty, finite).
    effect : float
        Rate ratio on patrolled spot-days (harm per crime unchanged).
    n_sims : int
        Simulated trials.
    alpha : float
        Significance level (two-sided).

    Returns
    -------
    dict
        ``power, ci_low, ci_high`` (Wilson 95%), ``n_sims``, ``n_degenerate``,
        ``median_rate_ratio``, ``effect``.
    """
    from .power import _simulate, _wilson
    from .stats import CHUNK_ELEMENTS

    H, D = len(rates), design.days
    rng = np.random.default_rng([design.seed, H, D, 1])  # apart from the count power's stream
    # the null statistics take P x trials x spot-days products: keep a chunk's to ~CHUNK
    chunk = max(1, CHUNK_ELEMENTS // (H * D * (1 + HARM_PERMUTATIONS // 20)))
    ps, ests, degs = [], [], []
    for start in range(0, n_sims, chunk):
        m = min(chunk, n_sims - start)
        Y, X, blocks, _ = _simulate(design.design, m, H, D, rates, effect, None, design.share,
                                    design.block_size, rng)
        harm = _compound(Y, weights, rng)
        p, est, deg = _randomisation_test(design, harm, X, blocks, rng)
        ps.append(p)
        ests.append(est)
        degs.append(deg)
    p, est, deg = (np.concatenate(a) for a in (ps, ests, degs))
    k = int(np.sum(p <= alpha))  # as power(analysis="permutation")
    lo, hi = _wilson(k, n_sims)
    finite = est[np.isfinite(est)]
    return {"effect": effect, "test": f"randomisation test, {HARM_PERMUTATIONS} re-draws",
            "power": k / n_sims, "ci_low": lo, "ci_high": hi, "n_sims": n_sims,
            "n_degenerate": int(deg.sum()),
            "median_rate_ratio": float(np.exp(np.median(finite))) if finite.size else math.nan}


def _randomisation_test(design: TrialDesign, y: np.ndarray, X: np.ndarray, blocks: np.ndarray,
                        rng) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """p-values of the randomisation test ``trial analyse`` runs, for ``m`` simulated trials.

    The statistic is the Poisson GLM log rate ratio with the design's strata (hot
    spots in a crossover, pairs in a block design, none in a parallel design), as
    :func:`~hotspot_sim.trial.stats.permutation_test` with ``statistic="glm"``; the
    null re-draws :data:`HARM_PERMUTATIONS` assignments as the design drew them (one
    set for all trials of the chunk, valid for each).

    Returns
    -------
    p, statistic, degenerate : numpy.ndarray
        Per trial; a trial whose statistic is infinite (no harm in one arm) has p = 1.
    """
    from .estimator import _stratified_poisson
    from .power import _perm_assignments
    from .stats import _two_sided_p

    m, H, D = y.shape
    strata = {"crossover": np.broadcast_to(np.arange(H), (m, H)),
              "parallel": np.zeros((m, H), dtype=np.int64), "block": blocks}[design.design]
    if design.design == "block":  # the re-drawn assignments are in rank order of the blocks
        order = np.argsort(blocks, axis=1, kind="stable")
        y, X = (np.take_along_axis(a, order[:, :, None], axis=1) for a in (y, X))
        strata = np.take_along_axis(blocks, order, axis=1)
    n = y.sum(2)
    observed = _stratified_poisson((X * y).sum(2), n, X.sum(2), D - X.sum(2), strata,
                                   strata)[0]
    Xp = _perm_assignments(design.design, H, D, design.share, design.block_size,
                           HARM_PERMUTATIONS, rng).reshape(HARM_PERMUTATIONS, H, D)
    P = len(Xp)
    y1 = np.einsum("phd,mhd->pmh", Xp, y).reshape(P * m, H)
    t = np.broadcast_to(Xp.sum(2)[:, None, :], (P, m, H)).reshape(P * m, H)
    null = _stratified_poisson(y1, np.broadcast_to(n, (P, m, H)).reshape(P * m, H), t, D - t,
                               np.broadcast_to(strata, (P, m, H)).reshape(P * m, H),
                               np.broadcast_to(strata, (P, m, H)).reshape(P * m, H))[0]
    degenerate = ~np.isfinite(observed)
    p = np.where(degenerate, 1.0, _two_sided_p(observed, null.reshape(P, m)))
    return p, observed, degenerate


def _compound(counts: np.ndarray, weights: np.ndarray, rng) -> np.ndarray:
    """Harm per cell: the sum of ``counts`` draws from ``weights`` in each cell."""
    flat = counts.ravel()
    draws = rng.choice(weights, size=int(flat.sum()))
    cell = np.repeat(np.arange(flat.size), flat)
    return np.bincount(cell, weights=draws, minlength=flat.size).reshape(counts.shape)


def _describe_arms(table: pd.DataFrame, treated: np.ndarray, block: np.ndarray,
                   design: TrialDesign) -> pd.DataFrame:
    """Add ``arm``, ``block`` and ``treated_days`` to the hot spot table."""
    days_on = treated.sum(axis=1)
    if design.design == "crossover":
        arm = np.full(len(table), ARMS["crossover"], dtype=object)
    else:
        arm = np.where(days_on > 0, "treatment", "control").astype(object)
    return table.assign(arm=arm, block=block, treated_days=days_on.astype(np.int64))


def _checked_hotspots(hotspots: pd.DataFrame) -> pd.DataFrame:
    """The hot spot table with ``rank`` and ``lon, lat``; DataError naming what is wrong."""
    missing = [c for c in ("hotspot_id", "x", "y", "radius_m", "crimes") if c not in hotspots]
    if missing:
        raise DataError(f"hot spot table lacks column(s) {missing}")
    if hotspots["hotspot_id"].duplicated().any():
        dup = hotspots.loc[hotspots["hotspot_id"].duplicated(), "hotspot_id"].iloc[0]
        raise DataError(f"hot spot table: hotspot_id {dup!r} appears more than once")
    crimes = hotspots["crimes"].to_numpy(float)
    if not np.isfinite(crimes).all() or (crimes < 0).any():
        raise DataError("hot spot table: 'crimes' must be counts >= 0")
    if crimes.sum() == 0:
        raise DataError("the hot spots hold no crime at all in the baseline data, so no "
                        "power can be computed: are they inside the scenario's study area?")
    table = hotspots.reset_index(drop=True).copy()
    if "lon" not in table or "lat" not in table:
        from ..projection import to_lonlat

        table["lon"], table["lat"] = to_lonlat(table["x"], table["y"])
    table = table.drop(columns=["rank"], errors="ignore")
    table.insert(0, "rank", np.arange(1, len(table) + 1))
    return table


def _plain(row: dict) -> dict:
    """numpy scalars -> Python numbers, for JSON."""
    return {k: (v.item() if isinstance(v, np.generic) else v) for k, v in row.items()}


__all__ = ["DEFAULT_DAYS", "DEFAULT_EFFECT", "DEFAULT_MINUTES",
           "DEFAULT_TREAT_SHARE", "DEFAULT_VISITS", "TrialDesign", "TrialPlan",
           "build_schedule", "design_trial", "harm_power", "loop_length_m",
           "next_monday",
           "officer_hours", "plan_trial", "randomise"]
