"""The observed study area: a scenario's street network with its real crime on it.

This is the first step of the one-way flow ``data -> network -> model``: it
reads police.uk crime for the scenario's months, cleans it (every dropped row
counted by reason), snaps it to the prepared street network and aggregates it
per node and per LSOA.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import logging
from dataclasses import dataclass
from pathlib import Path
from functools import cached_property

import numpy as np
import pandas as pd

from . import data
from .data import DropReport, ForceDropReport
from .data.force_calls import CallDropReport, read_calls_mapping, read_force_calls
from .data.time_profiles import (CallDemand, TimeProfile, assumed_call_demand, assumed_risk_profile,
                                 call_demand, risk_profile)
from .errors import ConfigError, DataError
from .io import arrow_pool, atomic_file
from .network import StreetNetwork, cache_dir, load_network
from .projection import to_bng
from .locations import data_location_hint, data_source, find_data_file, resolve_data_path
from .settings import Scenario

log = logging.getLogger(__name__)


@dataclass
class Study:
    """Network + observed crime for one scenario.

    Attributes
    ----------
    scenario : Scenario
    network : StreetNetwork
    crimes : pandas.DataFrame
        Cleaned, snapped police.uk rows (``node``, ``x``, ``y``, ``harm``, ...).
    drops : DropReport
        Rows dropped and why.
    harm_table : pandas.DataFrame
        CHI weight per police.uk crime type.
    months : list of str
    calls : pandas.DataFrame or None
        A force's calls for service (``[calls] records``), cleaned and snapped
        (``call_id, datetime, grade, x, y, incident_type, node, snap_m``); None without.
    call_drops : CallDropReport or None
        Call rows dropped and why.
    """

    scenario: Scenario
    network: StreetNetwork
    crimes: pd.DataFrame
    drops: DropReport
    harm_table: pd.DataFrame
    months: list[str]
    calls: pd.DataFrame | None = None
    call_drops: CallDropReport | None = None

    @cached_property
    def risk_profile(self) -> TimeProfile:
        """Offending risk by hour of day and weekday: estimated from the crime records' times
        (``[risk] time_profile = "auto"`` with ``[crime] records``), else the assumed one."""
        if self.scenario.risk.time_profile == "assumed":
            return assumed_risk_profile("[risk] time_profile = 'assumed'")
        if not self.scenario.crime.records:
            return assumed_risk_profile("police.uk dates are months only")
        return risk_profile(self.crimes, self.scenario.crime.records)

    @cached_property
    def call_demand(self) -> CallDemand:
        """Calls by grade, hour and day: estimated from ``[calls] records`` (``demand = "auto"``),
        else ``[calls] grade*_per_day`` with the assumed hourly profile."""
        c = self.scenario.calls
        rates = (c.grade1_per_day, c.grade2_per_day, c.grade3_per_day)
        if c.demand == "assumed":
            return assumed_call_demand(rates, "[calls] demand = 'assumed' (grade*_per_day)")
        if self.calls is None:
            return assumed_call_demand(rates, "no [calls] records given (grade*_per_day)")
        return call_demand(self.calls, c.records)

    def time_profile_sources(self) -> dict[str, str]:
        """Where the risk and call profiles come from, for run metadata."""
        return {"risk": self.risk_profile.source, "calls": self.call_demand.source}

    @cached_property
    def crime_types(self) -> list[str]:
        """The police.uk crime types of the harm table, in its order."""
        return list(self.harm_table.index)

    @cached_property
    def by_node(self) -> pd.DataFrame:
        """Crimes, ASB, harm and counts by type per network node (see :func:`~hotspot_sim.data.aggregate_by_node`)."""
        return data.aggregate_by_node(self.crimes, self.network.n_nodes, self.crime_types)

    @cached_property
    def by_lsoa(self) -> pd.DataFrame:
        """Crimes, ASB, harm and the harm index per LSOA (see :func:`~hotspot_sim.data.aggregate_by_lsoa`)."""
        return data.aggregate_by_lsoa(self.crimes, self.scenario.crime.asb_weight_in_index)

    def lsoa_harm_map(self):
        """The LSOA harm index on the scenario's LSOA polygons.

        Returns
        -------
        geopandas.GeoDataFrame or None
            See :func:`~hotspot_sim.data.lsoa_harm_map` (EPSG:27700); None when the
            scenario names no ``crime.lsoa_boundaries``.
        """
        path = self.scenario.crime.lsoa_boundaries
        if not path:
            return None
        boundaries = data.read_lsoa_boundaries(resolve_data_path(path))
        return data.lsoa_harm_map(self.by_lsoa, boundaries, source=path)

    def node_type_counts(self) -> np.ndarray:
        """Observed counts per node and crime type.

        Returns
        -------
        numpy.ndarray
            (n_nodes, n_types) float64, types in :attr:`crime_types` order.
        """
        return self.by_node[self.crime_types].to_numpy(dtype=np.float64)


def data_files(scenario: Scenario) -> list[Path]:
    """The data files a scenario reads, resolved against the data root.

    Parameters
    ----------
    scenario : Scenario
        The scenario.

    Returns
    -------
    list of Path
        The street network file (none for a downloaded place), one police.uk
        file per month or the force's crime records and their mapping, the
        calls records and their mapping (when named), the harm table and the
        LSOA boundaries (when named).
    """
    c = scenario.crime
    files = [resolve_data_path(scenario.network.osm_file)] if scenario.network.osm_file else []
    if c.records:
        files += [resolve_data_path(c.records), resolve_data_path(c.records_mapping)]
    else:
        root = resolve_data_path(c.police_uk_dir)
        files += [find_data_file(data.police_uk_path(root, m, c.force))
                  for m in data.month_range(c.first_month, c.last_month)]
    if scenario.calls.records:
        files += [resolve_data_path(scenario.calls.records),
                  resolve_data_path(scenario.calls.records_mapping)]
    files.append(resolve_data_path(c.harm_table) if c.harm_table else data.DEFAULT_HARM_FILE)
    if c.lsoa_boundaries:
        files.append(resolve_data_path(c.lsoa_boundaries))
    return files


def data_fingerprint(scenario: Scenario) -> str:
    """A hash of the contents of every data file the scenario reads.

    Results are tied to the data that made them, not to where it lies: the same
    files anywhere give the same fingerprint, an edited or other file another.

    Parameters
    ----------
    scenario : Scenario
        The scenario.

    Returns
    -------
    str
        16 hex digits; a missing file counts as ``"missing"``.
    """
    digest = hashlib.sha256()
    for path in data_files(scenario):
        try:
            stat = path.stat()
            content = _file_hash(str(path), stat.st_mtime_ns, stat.st_size)
        except OSError:
            content = "missing"
        digest.update(path.name.encode() + b"\0" + content.encode())
    return digest.hexdigest()[:16]


@functools.lru_cache(maxsize=256)
def _file_hash(path: str, mtime_ns: int, size: int) -> str:
    """sha256 of a file; cached per (path, modification time, size) within a process."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def study_area_bng(scenario: Scenario, network: StreetNetwork) -> tuple[float, float, float, float]:
    """The study-area box in British National Grid metres.

    Parameters
    ----------
    scenario : Scenario
        Its ``crime.study_area`` box (lon/lat), if any.
    network : StreetNetwork
        Whose extent is the study area when the scenario gives no box.

    Returns
    -------
    tuple of float
        ``(xmin, ymin, xmax, ymax)``: the envelope of the projected box corners.
    """
    box = scenario.crime.study_area
    if box is None:
        return network.bounds
    west, south, east, north = box
    xs, ys = to_bng(np.array([west, east, west, east]), np.array([south, south, north, north]))
    return float(xs.min()), float(ys.min()), float(xs.max()), float(ys.max())


def load_study(scenario: Scenario, network: StreetNetwork | None = None,
               cache: bool = True) -> Study:
    """Load network and crime for a scenario (both from the cache when possible).

    Cleaning a county's police.uk months held ~150 MB of parsed text for a 4 MB
    table, in every run and every sweep worker, so the cleaned table is kept as
    parquet in the cache (:func:`~hotspot_sim.network.cache_dir`), keyed by the
    contents of the data files, the cleaning settings and the cleaning code.  A
    hit repeats the warnings the cleaning gave (rows dropped and why).

    Parameters
    ----------
    scenario : Scenario
        Which network, months, force, study area and harm weights.
    network : StreetNetwork, optional
        An already prepared network (default: :func:`~hotspot_sim.network.load_network`).
    cache : bool
        Read and write the cleaned table in the cache.

    Returns
    -------
    Study
        The cleaned, snapped crimes with the drop report.

    Raises
    ------
    DataError
        If a data file cannot be read, or cleaning leaves no crime (naming the
        study area, months and every drop reason).
    """
    network = network or load_network(scenario.network)
    c = scenario.crime
    months = data.month_range(c.first_month, c.last_month)
    harm_path = resolve_data_path(c.harm_table) if c.harm_table else None
    harm = data.load_harm_weights(harm_path, asb_weight=c.asb_weight)
    path = prepared_path(scenario, network) if cache and network.key else None
    prepared = read_prepared(path) if path else None
    if prepared is None:
        with held_records() as records:
            crimes, report = _clean_and_snap(scenario, network, months, harm)
        notes = [(r.name, r.getMessage()) for r in records if r.levelno >= logging.WARNING]
        if path:
            write_prepared(path, crimes, report, notes)
    else:
        crimes, report, notes = prepared
    for name, message in notes:  # the same warnings, cleaned now or read from the cache
        logging.getLogger(name).warning("%s", message)
    log.info("%s", report)
    calls, call_drops = load_calls(scenario, network) if scenario.calls.records else (None, None)
    return Study(scenario=scenario, network=network, crimes=crimes, drops=report, harm_table=harm,
                 months=months, calls=calls, call_drops=call_drops)


def records_file(value: str, key: str, scenario: Scenario) -> Path:
    """A force's own file named by `key` (``[crime] records``...), resolved and checked.

    Relative paths beside the scenario file were made absolute when it was read
    (:func:`~hotspot_sim.settings.records_beside`); others are under the data root.

    Raises
    ------
    ConfigError
        If the file does not exist (naming the key and where it was looked for).
    """
    path = resolve_data_path(value)
    if not path.is_file():
        raise ConfigError(f"{scenario.source} {key} = {value!r}: no such file (looked for beside "
                          f"the scenario file and {data_location_hint()})")
    return path


def load_calls(scenario: Scenario, network: StreetNetwork) -> tuple[pd.DataFrame, CallDropReport]:
    """Read, clean and snap the scenario's calls-for-service export (``[calls] records``).

    Calls are kept for the study area and the months of ``[crime]``, and snapped to
    the nearest street node within ``[crime] max_snap_distance_m``; every dropped row
    is counted by reason and warned with its file line.

    Raises
    ------
    ConfigError, DataError
        A missing file or bad mapping; no call left (naming every drop reason).
    """
    c = scenario.calls
    path = records_file(c.records, "[calls] records", scenario)
    mapping = read_calls_mapping(records_file(c.records_mapping, "[calls] records_mapping", scenario))
    calls, report = read_force_calls(path, mapping, study_area_bng(scenario, network),
                                     (scenario.crime.first_month, scenario.crime.last_month))
    calls = data.snap_to_nodes(calls, network.x, network.y, scenario.crime.max_snap_distance_m, report)
    calls = calls.rename(columns={"snap_distance_m": "snap_m"})
    if calls.empty:
        raise DataError(f"{path}: no call left for the study area and months "
                        f"{scenario.crime.first_month} to {scenario.crime.last_month} "
                        f"({scenario.source}); dropped by reason: {report.as_dict()['dropped']}. "
                        "Calls are kept for [crime] first_month..last_month: set them to the "
                        "months the export covers")
    log.info("calls for service from %s:\n%s", path, report)
    return calls, report


def _clean_and_snap(scenario: Scenario, network: StreetNetwork, months: list[str],
                    harm: pd.DataFrame) -> tuple[pd.DataFrame, DropReport]:
    """Read, clean and snap the scenario's police.uk months (no cache)."""
    c = scenario.crime
    bbox = study_area_bng(scenario, network)
    if c.records:
        mapping = data.read_force_mapping(records_file(c.records_mapping, "[crime] records_mapping",
                                                       scenario))
        crimes, report = data.read_force_crimes(records_file(c.records, "[crime] records", scenario),
                                                mapping, bbox, harm, (months[0], months[-1]))
        origin = f"force records {c.records}"
    else:
        raw = data.read_police_uk(resolve_data_path(c.police_uk_dir), months, c.force)
        crimes, report = data.clean_crimes(raw, bbox, harm)
        origin = f"force {c.force!r}"
    crimes = data.snap_to_nodes(crimes, network.x, network.y, c.max_snap_distance_m, report)
    area = f"study area {c.study_area}" if c.study_area else "the street network's extent"
    data.require_crimes(crimes, report, f"{area} (BNG {tuple(round(v) for v in bbox)}), months "
                        f"{months[0]} to {months[-1]}, {origin} ({scenario.source})")
    return crimes.reset_index(drop=True), report


def summarise(study: Study, top: int = 10) -> dict:
    """Everything ``hotspot-sim data summary`` prints, as plain data.

    Parameters
    ----------
    study : Study
        The loaded study.
    top : int
        Places listed by harm.

    Returns
    -------
    dict
        ``scenario``, ``data``, ``records`` (the force's crime export, or None for
        police.uk), ``calls`` (the calls drop report, or None), ``time_profiles``
        (where the risk and call profiles come from), ``months``, ``network``,
        ``rows`` (the drop report), ``crimes_by_type``, ``harm``, ``top_places``,
        ``concentration`` and ``top_lsoas``.
    """
    crimes = study.crimes
    by_node = study.by_node
    harm_by_node = by_node["harm"].to_numpy()
    counts = (by_node["crimes"] + by_node["asb"]).to_numpy()
    places = by_node[harm_by_node > 0].sort_values("harm", ascending=False).head(top)
    is_asb = crimes["is_asb"].to_numpy(bool)
    return {
        "scenario": study.scenario.scenario.name,
        "data": data_source(),
        "records": study.scenario.crime.records,
        "calls": study.call_drops.as_dict() if study.call_drops is not None else None,
        "time_profiles": study.time_profile_sources(),
        "months": [study.months[0], study.months[-1]],
        "network": study.network.summary(),
        "rows": study.drops.as_dict(),
        "crimes_by_type": crimes["Crime type"].value_counts().to_dict(),
        "harm": {"total_chi_days": round(float(crimes["harm"].sum()), 1),
                 "by_type": crimes.groupby("Crime type")["harm"].sum().round(1)
                 .sort_values(ascending=False).to_dict(),
                 "crimes": int((~is_asb).sum()), "asb_incidents": int(is_asb.sum())},
        "top_places": [
            {"node": int(i), "x": round(float(study.network.x[i])), "y": round(float(study.network.y[i])),
             "location": r["location"], "lsoa": r["lsoa"], "crimes": int(r["crimes"]),
             "asb": int(r["asb"]), "harm": round(float(r["harm"]), 1)}
            for i, r in places.iterrows()],
        "concentration": {
            "share_of_places_with_crime_holding_50pct_harm":
                data.concentration(harm_by_node[counts > 0], 0.5),
            "share_of_all_nodes_holding_50pct_harm": data.concentration(harm_by_node, 0.5),
            "share_of_all_nodes_holding_50pct_incidents": data.concentration(counts, 0.5),
            "places_with_any_incident": int((counts > 0).sum()),
        },
        "top_lsoas": study.by_lsoa.head(5).reset_index().to_dict(orient="records"),
    }


def format_study_summary(s: dict) -> str:
    """The study summary (:func:`hotspot_sim.study.summarise`) as text for the terminal."""
    net, rows, harm = s["network"], s["rows"], s["harm"]
    crime_source = f"force records {s['records']}" if s.get("records") else "police.uk"
    out = [f"Scenario {s['scenario']}: {crime_source} {s['months'][0]} to {s['months'][1]}",
           f"Data: {s['data']['description']}"]
    if s["data"].get("clip_note"):
        out.append(f"  ({s['data']['clip_note']})")
    out += ["",
            f"Street network  {net['source']}: {net['nodes']:,} nodes, {net['edges']:,} edges, "
            f"{net['length_km']:,} km (max edge {net['max_edge_m']} m; "
            f"{net['dropped_nodes_outside_largest_component']} nodes outside the largest "
            "component dropped)", "",
            f"Rows read {rows['total_in']:,}, kept {rows['kept']:,}; dropped:"]
    for reason, n in rows["dropped"].items():
        out.append(f"  {reason.replace('_', ' '):<28} {n:>8,}")
    for name, n in rows.get("unknown_crime_types", {}).items():
        out.append(f"    unknown type {name!r}: {n:,}")
    if s.get("calls"):
        out += ["", f"Calls for service read {s['calls']['total_in']:,}, kept {s['calls']['kept']:,}; dropped:"]
        out += [f"  {reason.replace('_', ' '):<28} {n:>8,}" for reason, n in s["calls"]["dropped"].items()]
    out += ["", "Time profiles"] + [f"  {what}: {source}" for what, source in s.get("time_profiles", {}).items()]
    out += ["", f"{'Crime type':<32} {'count':>7} {'harm (CHI days)':>16}"]
    for ctype, n in s["crimes_by_type"].items():
        out.append(f"  {ctype:<30} {n:>7,} {harm['by_type'].get(ctype, 0):>16,.1f}")
    out += [f"  {'total':<30} {harm['crimes'] + harm['asb_incidents']:>7,} "
            f"{harm['total_chi_days']:>16,.1f}",
            f"  ({harm['crimes']:,} crimes and {harm['asb_incidents']:,} ASB incidents)", "",
            f"Top {len(s['top_places'])} places by harm"]
    out.append(f"  {'node':>6} {'harm':>8} {'crimes':>6} {'ASB':>4}  {'LSOA':<10} location")
    for p in s["top_places"]:
        out.append(f"  {p['node']:>6} {p['harm']:>8,.1f} {p['crimes']:>6} {p['asb']:>4}  "
                   f"{p['lsoa']:<10} {p['location']}")
    return "\n".join(out + format_concentration(s))


def format_concentration(s: dict) -> list[str]:
    """Lines on how concentrated harm is, and the LSOAs with the highest harm index."""
    conc = s["concentration"]
    out = ["", "Concentration",
            f"  {conc['places_with_any_incident']:,} places have any recorded incident",
            f"  {100 * conc['share_of_places_with_crime_holding_50pct_harm']:.1f}% of those places "
            "hold 50% of harm",
            f"  {100 * conc['share_of_all_nodes_holding_50pct_harm']:.2f}% of all street nodes hold "
            "50% of harm",
            f"  {100 * conc['share_of_all_nodes_holding_50pct_incidents']:.2f}% of all street nodes "
            "hold 50% of incidents (Weisburd 2015: 2.1-6.0% of segments hold 50% of crime)"]
    if s.get("top_lsoas"):
        out += ["", "LSOAs with the highest harm index (harm + ASB incidents)"]
        for r in s["top_lsoas"]:
            out.append(f"  {r.get('LSOA code', ''):<10} {str(r.get('LSOA name', '')):<28} "
                       f"index {r.get('harm_index', 0):>9,.1f}")
    return out


def synthetic_study(scenario: Scenario, network: StreetNetwork, crime_nodes,
                    types=None) -> Study:
    """A study on a made-up network with crimes at given nodes (tests, scaling benchmarks).

    Parameters
    ----------
    scenario : Scenario
        Its ``crime.asb_weight`` sets the harm of ASB incidents.
    network : StreetNetwork
        E.g. :func:`~hotspot_sim.network.synthetic_grid`.
    crime_nodes : array_like of int
        Node index of each recorded crime (repeat a node for several crimes).
    types : array_like of str, optional
        Crime type of each crime (default: violence and ASB alternating).

    Returns
    -------
    Study
        All crimes in month 2021-01, none dropped.
    """
    harm = data.load_harm_weights(asb_weight=scenario.crime.asb_weight)
    nodes = np.asarray(crime_nodes, dtype=np.int64)
    if types is None:
        types = np.where(np.arange(len(nodes)) % 2 == 0, "Violence and sexual offences",
                         "Anti-social behaviour")
    types = np.asarray(types, dtype=object)
    crimes = pd.DataFrame({
        "node": nodes, "x": network.x[nodes], "y": network.y[nodes], "Crime type": types,
        "harm": harm.loc[types, "chi_days"].to_numpy(float),
        "is_asb": types == "Anti-social behaviour", "Month": "2021-01",
        "Location": "On or near Test Street", "LSOA code": "E01000000",
        "LSOA name": "Test 001A", "snap_distance_m": 0.0})
    report = DropReport(total_in=len(crimes))
    return Study(scenario=scenario, network=network, crimes=crimes, drops=report,
                 harm_table=harm, months=["2021-01"])


# --------------------------------------------------------------------------- the cleaned-table cache

STUDY_CACHE_VERSION = "1"  # bump when the cached files' layout changes


def prepared_path(scenario: Scenario, network: StreetNetwork) -> Path:
    """Where the scenario's cleaned crime table is cached (``study-<key>.parquet``).

    The key hashes the data files' contents (:func:`data_fingerprint`), the network,
    the study-area box, every ``[crime]`` setting and the source of the cleaning code,
    so an edited file, setting or cleaning step never reuses an old table.
    """
    code = "".join(p.read_text() for p in sorted((Path(__file__).parent / "data").glob("*.py")))
    key = hashlib.sha256("|".join([
        STUDY_CACHE_VERSION, data_fingerprint(scenario), str(network.key),
        repr(sorted(vars(scenario.crime).items())), code]).encode()).hexdigest()[:16]
    return cache_dir() / f"study-{key}.parquet"


def read_prepared(path: Path):
    """The cached table, drop report and warnings at ``path``, or None (missing or unreadable)."""
    notes_path = path.with_suffix(".json")
    try:
        crimes = _read_parquet_lean(path)
        meta = json.loads(notes_path.read_text())
        dropped = meta["report"]["dropped"]
        # a force export's report has reasons police.uk rows do not
        kind = ForceDropReport if set(dropped) - set(DropReport.REASONS) else DropReport
        report = kind(total_in=meta["report"]["total_in"],
                      unknown_types=meta["report"]["unknown_crime_types"], **dropped)
        return crimes, report, [tuple(n) for n in meta["warnings"]]
    except (OSError, ValueError, KeyError, TypeError):  # not cached yet, or damaged: clean again
        return None


def _read_parquet_lean(path: Path) -> pd.DataFrame:
    """A parquet file as a DataFrame, in one thread from the system allocator.

    Arrow's default pool (mimalloc, one arena a thread) kept ~40 MB after reading a
    4 MB table, a tenth of a one-year run's whole footprint (see :func:`~.io.arrow_pool`).
    """
    import pyarrow.parquet as pq

    pool = arrow_pool()
    table = pq.ParquetFile(path).read(use_threads=False)
    return table.to_pandas(use_threads=False, memory_pool=pool)


def write_prepared(path: Path, crimes: pd.DataFrame, report: DropReport,
                   notes: list[tuple[str, str]]) -> None:
    """Cache a cleaned table (parquet) with its drop report and warnings (JSON), atomically."""
    try:
        with atomic_file(path.with_suffix(".json")) as fh:
            fh.write(json.dumps({"report": report.as_dict(), "warnings": notes}).encode())
        with atomic_file(path) as fh:
            crimes.to_parquet(fh, index=False)
    except OSError as exc:  # a read-only cache only costs the next run the cleaning
        log.info("could not cache the cleaned crime table at %s: %s", path, exc)


@contextlib.contextmanager
def held_records():
    """Hold back the package's log records inside the block; pass on all but warnings after.

    The caller logs the warnings itself, so a cleaning and a cache hit warn alike.
    """
    records: list[logging.LogRecord] = []

    class Holder(logging.Handler):
        def emit(self, record):
            records.append(record)

    package = logging.getLogger(__package__)
    handler, propagate = Holder(), package.propagate
    package.addHandler(handler)
    package.propagate = False
    try:
        yield records
    finally:
        package.removeHandler(handler)
        package.propagate = propagate
        for record in records:
            if record.levelno < logging.WARNING:
                logging.getLogger(record.name).handle(record)
