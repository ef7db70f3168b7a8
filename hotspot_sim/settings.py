"""Typed scenario settings, loaded from TOML and validated.

A scenario file has one table per section below.  Every key is typed and
range-checked on load; an unknown key, a wrong type or an out-of-range value
raises :class:`~hotspot_sim.errors.ConfigError` naming the file, the key and the
value.  Defaults that come from the research cite their source (see
``docs/parameters.md``, whose source column names the study or says "assumption").

Data paths in a scenario are relative to the data root: the folder named by the
``HOTSPOT_SIM_DATA`` environment variable, or, when it is unset, the embedded
Welwyn Hatfield dataset shipped in ``hotspot_sim/data/datasets``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import tomllib
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .checks import check_name, number_problem
from .errors import ConfigError
from .locations import resolve_toml

ASSUMPTION = "assumption"


def _opt(default: Any, doc: str, lo: float | None = None, hi: float | None = None,
         choices: tuple | None = None, source: str = ASSUMPTION) -> Any:
    """A dataclass field with documentation, a valid range and the source of its default.

    ``source`` names the study the default comes from (author and year, as the
    comments beside the field cite it), ``"setting"`` for a choice of data or run rather
    than a claim about the world, or ``"assumption"`` (the default).
    """
    meta = {"doc": doc, "min": lo, "max": hi, "choices": choices, "source": source}
    if isinstance(default, (list, dict)):
        return field(default_factory=lambda: type(default)(default), metadata=meta)
    return field(default=default, metadata=meta)


def _records_opt(what: str) -> Any:
    """A setting naming a force's own export (a choice of data: no default)."""
    return _opt(None, f"{what}, its records dated [crime] first_month..last_month; a relative "
                "path is looked for beside the scenario file, then under the data root. Format: "
                "examples/README.md.", source="setting")


def _records_mapping_opt(section: str) -> Any:
    """The setting naming the TOML column mapping of ``[section] records``."""
    return _opt(None, f"TOML column mapping of [{section}] records (needed with it; found like "
                "records).", source="setting")


@dataclass(frozen=True)
class ScenarioMeta:
    name: str = _opt("unnamed", "Short name used for run folders.", source="setting")
    description: str = _opt("", "One line saying what the scenario is.", source="setting")
    seed: int = _opt(12345, "Root seed: one seed gives identical outputs.", 0, 2**63 - 1,
                     source="setting")
    start: str = _opt("2021-11-01T00:00", "Simulated calendar start (ISO date-time, local time).",
                      source="setting")


@dataclass(frozen=True)
class NetworkSettings:
    osm_file: str | None = _opt(None, "OSM XML (.osm or .osm.bz2), relative to the data root.",
                                source="setting")
    place: str | None = _opt(None, "Place name for OSMnx download (needs internet).",
                             source="setting")
    bbox: list[float] | None = _opt(None, "Download box [west, south, east, north] in lon/lat.",
                                    source="setting")
    network_type: str = _opt("drive", "OSMnx network type for downloads.",
                             choices=("drive", "drive_service", "walk", "bike", "all", "all_public"),
                             source="setting")
    # Hot spots in the trials are 100-150 m across (Ariel et al. 2016: 150 m
    # radius); splitting edges at about 50 m puts several nodes in each.
    max_node_spacing_m: float = _opt(50.0, "Split edges so adjacent nodes are at most this far "
                                     "apart (0 = do not split).", 0.0, 10_000.0,
                                     source="Ariel et al. 2016 (hot spots of 150 m radius hold "
                                            "several nodes)")


@dataclass(frozen=True)
class CrimeSettings:
    police_uk_dir: str = _opt("police_uk", "Folder of police.uk bulk CSVs, relative to the data root.",
                              source="setting")
    force: str = _opt("hertfordshire", "Force name in the police.uk file names.", source="setting")
    first_month: str = _opt("2021-01", "First month (YYYY-MM) of observed crime.", source="setting")
    last_month: str = _opt("2021-10", "Last month (YYYY-MM) of observed crime.", source="setting")
    study_area: list[float] | None = _opt(None, "Study-area box [west, south, east, north] in "
                                          "lon/lat; default: the network's extent.",
                                          source="setting")
    max_snap_distance_m: float = _opt(150.0, "Crimes further than this from any street node are "
                                      "dropped (and counted).", 1.0, 5000.0)
    # Cambridge Crime Harm Index gives ASB no weight (incidents, not crimes);
    # Sherman, Neyroud & Neyroud 2016.
    asb_weight: float = _opt(0.0, "CHI days given to one ASB incident.", 0.0, 10_000.0,
                             source="Sherman, Neyroud & Neyroud 2016 (CHI: ASB incidents have no "
                                    "weight)")
    asb_weight_in_index: float = _opt(1.0, "Weight of an ASB incident in the composite "
                                      "LSOA harm index (Hertfordshire plan).", 0.0, 10_000.0,
                                      source="assumption (Hertfordshire plan: the harm index "
                                             "counts ASB incidents)")
    harm_table: str | None = _opt(None, "CSV of CHI weights per crime type (default: shipped).",
                                  source="Sherman, Neyroud & Neyroud 2016 (Cambridge Crime Harm "
                                         "Index)")
    lsoa_boundaries: str | None = _opt(None, "GeoJSON of LSOA polygons (ONS; .gz too), relative "
                                       "to the data root: 'target' maps the LSOA harm index on it.",
                                       source="setting")
    records: str | None = _records_opt("A force's own crime export (CSV) read instead of police.uk")
    records_mapping: str | None = _records_mapping_opt("crime")


@dataclass(frozen=True)
class OfficerSettings:
    count: int = _opt(20, "Officers on the roster.", 0, 10_000, source="setting")
    # REFERENCE.md (Operations): shifts 8-10 hours; foot patrol about 5 km/h,
    # car in town about 30 km/h.
    shift_hours: float = _opt(8.0, "Length of a shift in hours.", 1.0, 24.0,
                              source="English police operations: shifts 8-10 hours")
    shift_starts: list[int] = _opt([7, 15, 23], "Hours at which shifts begin; officers are "
                                   "spread evenly over them.", source="setting")
    mode: str = _opt("foot", "Patrol mode.", choices=("foot", "car"), source="setting")
    foot_speed_kmh: float = _opt(5.0, "Foot patrol speed.", 0.5, 20.0,
                                 source="English police operations: foot patrol about 5 "
                                        "km/h")
    car_speed_kmh: float = _opt(30.0, "Car speed in town.", 5.0, 120.0,
                                source="English police operations: car in town about 30 "
                                       "km/h")
    # Ariel, Weinborn & Sherman (2016) logged GPS every minute.
    gps_interval_min: int = _opt(1, "Minutes between GPS pings.", 1, 1440,
                                 source="Ariel, Weinborn & Sherman 2016 (GPS every minute)")
    # Emergency response in an English district is done by response cars, not
    # by foot patrol.  Staffing assumption derived from REFERENCE.md figures:
    # Hertfordshire ~2,340 officers for ~1.2 million people in 10 districts gives
    # Welwyn Hatfield (~120k people) about 230 officers; if about a quarter are on
    # response (an assumption) in 5 teams covering 24/7, about 12 are on a shift,
    # i.e. 6 double-crewed cars for the district.  The study area's call volume
    # ([calls], about 20 a day) is a fraction of a district's, so the default is
    # 3 cars on duty at a time (9 on the roster over the 3 shift starts).
    response_units: int = _opt(9, "Response cars on the roster (spread evenly over "
                               "shift_starts like officers): they drive at car_speed_kmh, "
                               "answer calls only and wait at the station between calls "
                               "(0 = foot officers answer every call).", 0, 10_000,
                               source="assumption from English police operations: Hertfordshire "
                                      "~2,340 officers, 10 districts; response by car")


@dataclass(frozen=True)
class OffenderSettings:
    # Offender numbers, awareness spaces and routines are assumptions (no
    # REFERENCE.md figure); volume and concentration are then fitted to the
    # observed data by 'hotspot-sim calibrate'.
    count: int = _opt(300, "Motivated offenders.", 0, 1_000_000,
                      source="assumption; volume fitted by 'hotspot-sim calibrate'")
    activity_nodes: int = _opt(4, "Places in each offender's awareness space.", 1, 64)
    attractors: int = _opt(400, "Candidate activity places: the nodes with most observed crime.",
                           1, 100_000)
    home_places: int = _opt(200, "Distinct home places offenders are drawn from.", 1, 100_000)
    activity_distance_m: float = _opt(2000.0, "Distance scale of the pull of activity places "
                                      "near home (exp(-d/scale)).", 10.0, 100_000.0)
    trips_per_day: float = _opt(2.0, "Mean trips from home a day (time-of-day profile applies).",
                                0.0, 100.0)
    dwell_minutes: float = _opt(45.0, "Mean minutes spent at an activity place.", 1.0, 1440.0)
    speed_kmh: float = _opt(5.0, "Walking speed.", 0.5, 50.0)
    # Assumptions, fitted by 'hotspot-sim calibrate' where the data allow: people
    # browse around a town centre rather than stand at one point, and crime
    # attracts offenders less than in proportion to its count.
    wander: float = _opt(0.5, "Speed while at an activity place, as a share of walking "
                         "speed (0 = stand at the place).", 0.0, 1.0,
                         source="assumption; fitted by 'hotspot-sim calibrate'")
    attractor_exponent: float = _opt(0.5, "Activity places are chosen with weight "
                                     "(observed intensity)^exponent x exp(-d/scale).", 0.0, 3.0,
                                     source="assumption; fitted by 'hotspot-sim calibrate'")


@dataclass(frozen=True)
class RiskSettings:
    # Fitted per scenario by 'hotspot-sim calibrate' (the Welwyn Hatfield fit is in
    # scenarios/welwyn_hatfield.toml); this default is the order of magnitude.
    base_rate: float = _opt(1.5e-4, "Mean baseline attractiveness A0 per offender-minute at a "
                            "node with observed crime (scaled by observed counts).", 0.0, 100.0,
                            source="fitted by 'hotspot-sim calibrate' (default: order of "
                                   "magnitude)")
    background_share: float = _opt(0.05, "Share of A0 spread evenly over all nodes so places "
                                   "without recorded crime are not immune.", 0.0, 1.0,
                                   source="fitted by 'hotspot-sim calibrate'")
    smoothing_radius_m: float = _opt(100.0, "Radius of the kernel that smooths observed counts.",
                                     0.0, 5000.0)
    # Near repeats (Bowers, Johnson & Pease 2004; Johnson et al. 2007): raised
    # risk within about 200-400 m for about 2 weeks to 2 months, highest next
    # door in the first week.
    near_repeat_radius_m: float = _opt(400.0, "Radius of the near-repeat boost.", 0.0, 5000.0,
                                       source="Bowers, Johnson & Pease 2004; Johnson et al. 2007 "
                                              "(200-400 m)")
    near_repeat_distance_m: float = _opt(100.0, "Distance scale of the boost (1/(1+d/scale)).",
                                         1.0, 5000.0,
                                         source="Bowers, Johnson & Pease 2004 (weight "
                                                "1/(1+distance))")
    near_repeat_boost: float = _opt(0.1, "Boost B added at the crime node, as a multiple of its "
                                    "A0 (theta in Short et al. 2008).", 0.0, 100.0,
                                    source="Short et al. 2008 (theta); value an assumption")
    near_repeat_decay_days: float = _opt(14.0, "e-folding time of the boost in days.", 0.01, 365.0,
                                         source="Bowers, Johnson & Pease 2004; Johnson et al. "
                                                "2007 (2 weeks to 2 months)")
    # police.uk gives months only, so the hour-of-day and day-of-week risk profile is
    # an assumption unless a force's time-stamped records are given ([crime] records).
    time_profile: str = _opt("auto", "Offending risk by hour of day and day of week: 'auto' "
                             "estimates it from [crime] records when they carry times (else the "
                             "assumed profile); 'assumed' always uses the assumed profile.",
                             choices=("auto", "assumed"), source="setting")
    type_weights: dict = _opt({}, "Multipliers of each police.uk crime type in the local mix a "
                              "crime's type is drawn from (set by 'hotspot-sim calibrate').",
                              0.0, 1e6, source="fitted by 'hotspot-sim calibrate'")


@dataclass(frozen=True)
class DeterrenceSettings:
    # Trial hot spots are 100-150 m across; Bland et al. 2021 found no
    # displacement into 100 m buffers.
    radius_m: float = _opt(100.0, "An officer deters offending within this distance.", 0.0, 2000.0,
                           source="Ariel et al. 2016 (150 m hot spots); Bland et al. 2021 (100 m "
                                  "buffers)")
    # Assumption: REFERENCE.md gives no figure for deterrence while police are
    # in sight (Sherman & Weisburd 1995 saw observed disorder halved over whole
    # days); checked against the effect sizes by 'hotspot-sim validate'.
    presence_effect: float = _opt(0.9, "Share of attempts deterred while an officer is present.",
                                  0.0, 1.0, source="assumption; checked by 'hotspot-sim validate'")
    # Koper (1995): a stop needs about 10 minutes to lengthen the crime-free
    # time after police leave; best about 11-15 minutes, diminishing after 15.
    onset_minutes: float = _opt(11.0, "Stay at which residual deterrence reaches half its peak "
                                "(Koper 1995).", 0.0, 600.0,
                                source="Koper 1995 (about 10 minutes needed, best 11-15)")
    onset_width_minutes: float = _opt(1.5, "Steepness of the Koper curve (logistic width).",
                                      0.1, 600.0,
                                      source="Koper 1995 (diminishing returns after about 15 "
                                             "minutes)")
    # Assumption, with long_effect below: set so the simulated patrol effect falls
    # in the meta-analytic range (Braga et al. 2019, about 8-16%; see validate).
    residual_peak: float = _opt(0.75, "Residual deterrence right after a long enough visit.",
                                0.0, 1.0,
                                source="assumption, set to the effect range of Braga et al. 2019")
    # Koper (1995): chance of crime within 30 minutes after leaving ~15% after a
    # drive-through, ~4% after a 10-16 minute stop; practice: revisit every ~2 h.
    short_decay_minutes: float = _opt(90.0, "e-folding time of residual deterrence after the "
                                      "officer leaves (minutes to hours).", 1.0, 100_000.0,
                                      source="Koper 1995 (revisit about every 2 hours)")
    # Barnes et al. (2020): residual deterrence lasted about 4 days after the
    # last patrol day, then ended abruptly.
    long_effect: float = _opt(0.3, "Deterrence carried over between patrol days.", 0.0, 1.0,
                              source="assumption, set to the effect range of Braga et al. 2019")
    long_hold_days: float = _opt(4.0, "Days the carry-over lasts after the last patrol day "
                                 "(Barnes et al. 2020).", 0.0, 365.0,
                                 source="Barnes et al. 2020 (about 4 days after the last patrol "
                                        "day)")
    long_decay_days: float = _opt(0.5, "e-folding time of its abrupt end after the hold.",
                                  0.01, 365.0, source="Barnes et al. 2020 (then an abrupt end)")
    long_min_daily_minutes: float = _opt(10.0, "Minutes of presence in a day that make it a "
                                         "patrol day for the carry-over.", 0.0, 1440.0,
                                         source="assumption (Barnes et al. 2020: about 13 minutes"
                                                " once a day)")
    # Koper (1995): a stop needs about 10 minutes before it deters after police
    # leave; Barnes et al. (2020)'s patrol days were single visits of ~13 minutes.
    # Passing presence (a car or a walking officer crossing a node) does not make
    # a patrol day: counted, it spread the carry-over over whole areas and made
    # routine random patrol cut crime area-wide, against Kelling et al. (1974).
    patrol_day_min_stay_minutes: float = _opt(
        10.0, "Shortest stay whose minutes count toward a patrol day (0 = every minute of "
        "presence counts, passing included).", 0.0, 1440.0,
        source="Koper 1995 (about 10 minutes needed); Barnes et al. 2020 (patrol days were "
               "single ~13-minute visits)")
    # Braga et al. (2019): diffusion of benefits to the surroundings was more
    # common than displacement.
    diffusion_radius_m: float = _opt(200.0, "Residual deterrence spreads to nodes within this "
                                     "distance, weighted exp(-d/radius_m).", 0.0, 5000.0,
                                     source="Braga et al. 2019 (diffusion more common than "
                                            "displacement); distance an assumption")
    # Assumption: low, since displacement was the exception (Braga et al. 2019;
    # Bland et al. 2021: none into 100 m buffers); screened by 'sensitivity'.
    displacement_probability: float = _opt(0.2, "Chance a deterred offender tries a nearby node.",
                                           0.0, 1.0,
                                           source="assumption (Braga et al. 2019; Bland et al. "
                                                  "2021: rare)")
    displacement_radius_m: float = _opt(200.0, "How far a displaced attempt may move.", 0.0, 5000.0)


@dataclass(frozen=True)
class CallSettings:
    # Poisson arrivals per day in the study area by grade (1 immediate,
    # 2 priority, 3 scheduled).  Volumes are an assumption scaled to the area.
    grade1_per_day: float = _opt(4.0, "Grade 1 (immediate) calls a day.", 0.0, 10_000.0)
    grade2_per_day: float = _opt(8.0, "Grade 2 (priority) calls a day.", 0.0, 10_000.0)
    grade3_per_day: float = _opt(8.0, "Grade 3 (scheduled) calls a day.", 0.0, 10_000.0)
    service_minutes: list[float] = _opt([45.0, 40.0, 30.0], "Mean minutes on scene by grade.")
    # REFERENCE.md (Operations): grade 1 within ~15 minutes urban, grade 2
    # within about an hour.
    target_minutes: list[float] = _opt([15.0, 60.0, 1440.0], "Response targets by grade.",
                                       source="English police operations: grade 1 within "
                                              "about 15 min urban, grade 2 about an hour")
    pull_hotspot_officers: bool = _opt(True, "May hot-spot officers be pulled off patrol "
                                       "for calls?")
    # Control rooms divert the nearest resource to an immediate (grade 1) call,
    # taking it off scheduled (grade 3) work (patrol officers are taken off patrol
    # by pull_hotspot_officers); the interrupted call goes back to the queue.
    # Switch off as a negative control.
    grade1_preempts: bool = _opt(True, "A grade 1 call takes the officer or car that gets "
                                 "there first, even one on a grade 3 call (the interrupted "
                                 "call is queued again with its original time).",
                                 source="English police operations: grade 1 (immediate) "
                                        "response takes priority over lower grades")
    # Control rooms keep a response car back for immediates rather than send
    # the last free one to a priority or scheduled call (an assumption).
    cars_held_for_grade1: int = _opt(1, "Free response cars a grade 2 or 3 call may not take "
                                     "(it goes to a patrol officer or waits).", 0, 10_000)
    records: str | None = _records_opt("A force's calls-for-service (CAD) export (CSV)")
    records_mapping: str | None = _records_mapping_opt("calls")
    demand: str = _opt("auto", "Call demand: 'auto' estimates the hourly profile and calls a day "
                       "of each grade from [calls] records when given (replacing grade*_per_day) "
                       "and places calls at the attractor nearest each recorded call; 'assumed' "
                       "uses grade*_per_day, the assumed hourly profile and calls where crime is.",
                       choices=("auto", "assumed"), source="setting")


@dataclass(frozen=True)
class PolicySettings:
    name: str = _opt("random", "Registered policy name, or 'module.path:ClassName'.",
                     source="setting")
    params: dict = _opt({}, "Policy parameters (checked by the policy).", source="setting")


@dataclass(frozen=True)
class RoutingSettings:
    """How much memory the shortest-path trees agents follow may take (results do not depend on it)."""

    memory_mb: float = _opt(256.0, "Most MB the routing trees may hold (one byte per node "
                            "and destination); beyond it the least recently used tree no agent "
                            "needs now is dropped and recomputed when needed again.  Trees agents "
                            "need now are always kept (a warning says when they alone need more).",
                            0.0, 1_000_000.0, source="setting")


@dataclass(frozen=True)
class Scenario:
    """A whole scenario: one frozen dataclass per TOML table."""

    scenario: ScenarioMeta = field(default_factory=ScenarioMeta)
    network: NetworkSettings = field(default_factory=NetworkSettings)
    crime: CrimeSettings = field(default_factory=CrimeSettings)
    officers: OfficerSettings = field(default_factory=OfficerSettings)
    offenders: OffenderSettings = field(default_factory=OffenderSettings)
    risk: RiskSettings = field(default_factory=RiskSettings)
    deterrence: DeterrenceSettings = field(default_factory=DeterrenceSettings)
    calls: CallSettings = field(default_factory=CallSettings)
    policy: PolicySettings = field(default_factory=PolicySettings)
    routing: RoutingSettings = field(default_factory=RoutingSettings)
    source: str = "<defaults>"

    @property
    def start_datetime(self) -> dt.datetime:
        return dt.datetime.fromisoformat(self.scenario.start)

    def replace(self, overrides: dict[str, Any]) -> Scenario:
        """A copy with ``{"section.key": value}`` overrides, validated like a file."""
        nested = self.to_dict()
        for dotted, value in overrides.items():
            section, _, key = dotted.partition(".")
            if not key:
                raise ConfigError(f"{self.source}: override {dotted!r} must be 'section.key'")
            nested.setdefault(section, {})[key] = value
        return scenario_from_dict(nested, source=f"{self.source} (with overrides)")

    def to_dict(self) -> dict[str, dict[str, Any]]:
        return {s.name: dataclasses.asdict(getattr(self, s.name))
                for s in dataclasses.fields(self) if s.name != "source"}


SECTIONS: dict[str, type] = {f.name: f.default_factory for f in dataclasses.fields(Scenario)
                             if f.name != "source"}


def load_scenario(path: str | Path, relative_to: Path | None = None) -> Scenario:
    """Read and validate a scenario TOML file.

    Parameters
    ----------
    path
        The TOML file, or the name of a shipped scenario (``"welwyn_hatfield"``);
        see :func:`resolve_toml`.
    relative_to
        Folder that a relative ``path`` is also looked for in.

    Returns
    -------
    Scenario

    Raises
    ------
    ConfigError
        Naming the file and key when the file is missing, is not TOML or holds an
        invalid key or value.
    """
    path = resolve_toml(path, "scenarios", relative_to)
    raw = read_toml(path, "scenario")
    return scenario_from_dict(records_beside(raw, path.parent), source=str(path))


RECORD_KEYS: tuple[tuple[str, str], ...] = (("crime", "records"), ("crime", "records_mapping"),
                                            ("calls", "records"), ("calls", "records_mapping"))
"""Keys naming a force's own files: found beside the scenario file before the data root."""


def records_beside(raw: dict[str, Any], folder: Path) -> dict[str, Any]:
    """`raw` with each relative records path that names a file in `folder` made absolute.

    A force's own exports usually sit beside the scenario that uses them, not in the
    shared data root; a relative path naming no file there is left for the data root.
    """
    for section, key in RECORD_KEYS:
        value = raw.get(section, {}).get(key) if isinstance(raw.get(section), dict) else None
        if isinstance(value, str) and value and not Path(value).expanduser().is_absolute() \
                and (folder / value).is_file():
            raw[section] = {**raw[section], key: str((folder / value).resolve())}
    return raw


def read_toml(path: Path, what: str) -> dict:
    """A TOML file as a dict; a missing file or bad TOML is a ConfigError naming the file."""
    if not path.is_file():
        raise ConfigError(f"{what} file {path} does not exist")
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from exc
    except UnicodeDecodeError as exc:  # TOML is UTF-8 by definition
        line = path.read_bytes()[:exc.start].count(b"\n") + 1
        raise ConfigError(f"{path} line {line}: not UTF-8 text (byte 0x{exc.object[exc.start]:02x}"
                          f" at offset {exc.start}); save the {what} file as UTF-8") from None


def scenario_from_dict(raw: dict[str, Any], source: str = "<dict>") -> Scenario:
    """Build a validated :class:`Scenario` from nested dicts (one per section)."""
    sections = {}
    for name, table in raw.items():
        if name not in SECTIONS:
            raise ConfigError(f"{source}: unknown section [{name}]; known sections: "
                              f"{', '.join(SECTIONS)}")
        if not isinstance(table, dict):
            raise ConfigError(f"{source}: [{name}] must be a table, got {table!r}")
        sections[name] = build_section(SECTIONS[name], table, f"{source} [{name}]")
    scenario = Scenario(**sections, source=source)
    check_scenario(scenario)
    return scenario


def build_section(cls: type, table: dict[str, Any], where: str) -> Any:
    """Check one TOML table against dataclass ``cls`` and build it."""
    hints = typing.get_type_hints(cls)
    known = {f.name: f for f in dataclasses.fields(cls)}
    values = {}
    for key, value in table.items():
        if key not in known:
            raise ConfigError(f"{where}: unknown key {key!r}; known keys: {', '.join(known)}")
        values[key] = check_value(value, hints[key], known[key].metadata, f"{where} {key}")
    return cls(**values)


def check_value(value: Any, hint: Any, meta: dict, where: str) -> Any:
    """Type- and range-check one value; ints are accepted where floats are expected."""
    allowed = typing.get_args(hint) if isinstance(hint, types.UnionType) else (hint,)
    if value is None and type(None) in allowed:
        return None
    base = next(a for a in allowed if a is not type(None))
    origin = typing.get_origin(base) or base
    ok = (isinstance(value, origin) and not (origin in (int, float) and isinstance(value, bool))) \
        or (origin is float and isinstance(value, int) and not isinstance(value, bool))
    if not ok:
        raise ConfigError(f"{where} = {value!r}: expected {getattr(origin, '__name__', origin)}")
    if origin is float:
        value = float(value)
    if origin is list:
        item = (typing.get_args(base) or (object,))[0]
        for v in value:
            if item is float and isinstance(v, (int, float)) and not isinstance(v, bool):
                continue
            if not isinstance(v, item) or isinstance(v, bool):
                raise ConfigError(f"{where} = {value!r}: every item must be {item.__name__}")
        value = [float(v) for v in value] if item is float else list(value)
    lo, hi, choices = meta.get("min"), meta.get("max"), meta.get("choices")
    if origin in (list, dict):
        check_numbers_inside(value, where, lo, hi)
    elif origin in (int, float):
        problem = number_problem(value, lo, hi)  # nan and inf never pass
        if problem:
            raise ConfigError(f"{where} = {value!r}: {problem}")
    if choices and value not in choices:
        raise ConfigError(f"{where} = {value!r}: must be one of {', '.join(choices)}")
    return value


def check_numbers_inside(value: list | dict, where: str, lo: float | None,
                         hi: float | None) -> None:
    """Every number in a list or table is finite and, where the key has a range, inside it.

    Strings and booleans inside (e.g. a policy's ``rank_by``) are left to their owner.
    """
    items = value.items() if isinstance(value, dict) else enumerate(value)
    for key, v in items:
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            problem = number_problem(v, lo, hi)
            if problem:
                label = f"{key!r}" if isinstance(value, dict) else f"item {key + 1}"
                raise ConfigError(f"{where} = {value!r}: {label} = {v!r} {problem}")


def check_scenario(s: Scenario) -> None:
    """Checks that involve more than one key."""
    where = s.source
    try:
        s.start_datetime
    except ValueError:
        raise ConfigError(f"{where} [scenario] start = {s.scenario.start!r}: not an ISO "
                          "date-time such as 2021-11-01T00:00") from None
    net = s.network
    if sum(x is not None for x in (net.osm_file, net.place, net.bbox)) != 1:
        raise ConfigError(f"{where} [network]: give exactly one of osm_file, place or bbox")
    for key, box in (("[network] bbox", net.bbox), ("[crime] study_area", s.crime.study_area)):
        if box is not None:
            check_lonlat_box(box, f"{where} {key}")
    check_name(s.scenario.name, f"{where} [scenario] name")  # it names run folders
    if not s.officers.shift_starts:
        raise ConfigError(f"{where} [officers] shift_starts = []: give at least one hour "
                          "(0..23), e.g. [7, 15, 23]")
    for h in s.officers.shift_starts:
        if not 0 <= h < 24:
            raise ConfigError(f"{where} [officers] shift_starts: hour {h} is not in 0..23")
    for key in ("first_month", "last_month"):
        month = getattr(s.crime, key)
        if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", month):
            raise ConfigError(f"{where} [crime] {key} = {month!r}: expected a month as "
                              "YYYY-MM, e.g. 2021-01")
    for key in ("service_minutes", "target_minutes"):
        vals = getattr(s.calls, key)
        if len(vals) != 3 or min(vals) <= 0:
            raise ConfigError(f"{where} [calls] {key} = {vals!r}: need 3 positive values "
                              "(grades 1, 2, 3)")
    for section in ("crime", "calls"):
        table = getattr(s, section)
        if (table.records is None) != (table.records_mapping is None):
            raise ConfigError(f"{where} [{section}]: records and records_mapping go together: give "
                              "both (the export and its TOML column mapping) or neither")
    if s.crime.first_month > s.crime.last_month:
        raise ConfigError(f"{where} [crime]: first_month {s.crime.first_month} is after "
                          f"last_month {s.crime.last_month}")


def check_lonlat_box(box: list[float], where: str) -> None:
    if len(box) != 4:
        raise ConfigError(f"{where} = {box!r}: need [west, south, east, north]")
    west, south, east, north = box
    if not (-180 <= west < east <= 180 and -90 <= south < north <= 90):
        raise ConfigError(f"{where} = {box!r}: not a lon/lat box [west, south, east, north] "
                          "with west < east and south < north")


PARAMETERS_DOC_HEADER = """# Scenario parameters

Generated by `hotspot-sim params` (a test checks this file is current). The source column
names the study each research-based default comes from (Koper 1995; Barnes et al. 2020; Bland
et al. 2021; Ariel et al. 2016; Bowers, Johnson & Pease 2004; Short et al. 2008; Sherman,
Neyroud & Neyroud 2016; Braga et al. 2019), "assumption" where no study gives the figure, and
"setting" for a choice of data or run; the comments in `hotspot_sim/settings.py` say more.
Time-of-day profiles of risk, trips and calls are stated assumptions (police.uk gives
months only) unless a force's time-stamped records are given (`[crime] records`,
`[calls] records`: the risk and call profiles are then estimated from them); risk and
offender defaults are refined per scenario by `hotspot-sim calibrate`.

"""


def describe_settings() -> str:
    """Markdown table of every setting: default, meaning and source (for docs and ``params``)."""
    lines = ["| key | default | meaning | source |", "|---|---|---|---|"]
    for section, cls in SECTIONS.items():
        for f in dataclasses.fields(cls):
            default = f.default if f.default is not dataclasses.MISSING else f.default_factory()
            lines.append(f"| `{section}.{f.name}` | `{default!r}` | {f.metadata.get('doc', '')} "
                         f"| {f.metadata.get('source', ASSUMPTION)} |")
    return "\n".join(lines)


def to_toml(scenario: Scenario) -> str:
    """The scenario as TOML text that :func:`load_scenario` reads back to an equal scenario."""

    def key(k: str) -> str:  # bare keys are letters, digits, _ and -; quote the rest
        return k if k and all(c.isalnum() or c in "_-" for c in k) else value(k)

    def value(v: Any) -> str:
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, (int, float)):
            return repr(v)
        if isinstance(v, str):
            return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
        if isinstance(v, list):
            return "[" + ", ".join(value(x) for x in v) + "]"
        if isinstance(v, dict):
            return "{ " + ", ".join(f"{key(k)} = {value(x)}" for k, x in v.items()) + " }"
        raise ConfigError(f"cannot write {v!r} as TOML")

    lines = []
    for section, table in scenario.to_dict().items():
        lines.append(f"[{section}]")
        lines += [f"{k} = {value(v)}" for k, v in table.items() if v is not None]
        lines.append("")
    return "\n".join(lines)
