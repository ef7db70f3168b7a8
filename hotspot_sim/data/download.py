"""Download street-level crime from the data.police.uk API into the bulk-download layout.

For users with internet: :func:`download_police_uk` writes
``<dest>/YYYY-MM/YYYY-MM-<force>-street.csv`` files that
:func:`~hotspot_sim.data.police_uk.read_police_uk` reads like the bulk
download. Without a connection it stops with an
:class:`~hotspot_sim.errors.OfflineError` saying how to supply the files by hand.
:func:`download_css` fetches the ONS Crime Severity Score weights the same way.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from ..errors import DataError, OfflineError
from ..locations import DATA_ENV_VAR
from .cleaning import check_bbox
from .police_uk import POLICE_UK_COLUMNS, check_month, police_uk_path

log = logging.getLogger(__name__)

POLICE_UK_API = "https://data.police.uk/api"

# data.police.uk API category slugs -> the category names used in the bulk CSVs.
API_CATEGORIES: dict[str, str] = {
    "anti-social-behaviour": "Anti-social behaviour",
    "bicycle-theft": "Bicycle theft",
    "burglary": "Burglary",
    "criminal-damage-arson": "Criminal damage and arson",
    "drugs": "Drugs",
    "other-crime": "Other crime",
    "other-theft": "Other theft",
    "possession-of-weapons": "Possession of weapons",
    "public-order": "Public order",
    "robbery": "Robbery",
    "shoplifting": "Shoplifting",
    "theft-from-the-person": "Theft from the person",
    "vehicle-crime": "Vehicle crime",
    "violent-crime": "Violence and sexual offences",
}


def _offline_message(url: str, exc: Exception) -> str:
    """Explain that the service is unreachable and how to use local files."""
    return (
        f"cannot reach data.police.uk ({url}): {exc}. This machine seems to have no internet "
        f"connection. To work offline, download the street-level CSVs by hand from "
        f"https://data.police.uk/data on a connected machine, unpack them so that files sit at "
        f"<folder>/police_uk/YYYY-MM/YYYY-MM-<force>-street.csv, and set {DATA_ENV_VAR}=<folder>."
    )


def _get_json(url: str, params: dict, timeout: float):
    """GET `url` and return parsed JSON, or None on HTTP 503 (too many crimes)."""
    import requests

    try:
        resp = requests.get(url, params=params, timeout=timeout)
    except (requests.ConnectionError, requests.Timeout) as exc:
        raise OfflineError(_offline_message(url, exc)) from exc
    if resp.status_code == 503:
        return None
    if resp.status_code != 200:
        raise DataError(f"data.police.uk answered {resp.status_code} for {resp.url}: {resp.text[:200]!r}")
    return resp.json()


def _fetch_crimes(month: str, bbox: tuple, timeout: float, depth: int = 0) -> list[dict]:
    """Crimes of one month in a lon/lat box; splits the box when the API says >10,000."""
    lon0, lat0, lon1, lat1 = bbox
    poly = ":".join(f"{la:.6f},{lo:.6f}" for lo, la in ((lon0, lat0), (lon0, lat1), (lon1, lat1), (lon1, lat0)))
    data = _get_json(f"{POLICE_UK_API}/crimes-street/all-crime", {"poly": poly, "date": month}, timeout)
    if data is not None:
        return data
    if depth >= 4:
        raise DataError(f"data.police.uk refuses box {bbox} for {month} even after splitting (over 10,000 crimes)")
    lon_m, lat_m = (lon0 + lon1) / 2, (lat0 + lat1) / 2
    quads = [(lon0, lat0, lon_m, lat_m), (lon_m, lat0, lon1, lat_m), (lon0, lat_m, lon_m, lat1), (lon_m, lat_m, lon1, lat1)]
    out, seen = [], set()
    for q in quads:
        for c in _fetch_crimes(month, q, timeout, depth + 1):
            if c.get("id") not in seen:
                seen.add(c.get("id"))
                out.append(c)
    return out


def _api_to_rows(crimes: list[dict], month: str, force_name: str) -> pd.DataFrame:
    """Convert API crime records to the 12 bulk-CSV columns."""
    rows = []
    for c in crimes:
        loc = c.get("location") or {}
        outcome = c.get("outcome_status") or {}
        rows.append(
            {
                "Crime ID": c.get("persistent_id") or "",
                "Month": c.get("month") or month,
                "Reported by": force_name,
                "Falls within": force_name,
                "Longitude": loc.get("longitude") or "",
                "Latitude": loc.get("latitude") or "",
                "Location": (loc.get("street") or {}).get("name") or "",
                "LSOA code": "",
                "LSOA name": "",
                "Crime type": API_CATEGORIES.get(c.get("category", ""), c.get("category", "")),
                "Last outcome category": outcome.get("category") or "",
                "Context": c.get("context") or "",
            }
        )
    return pd.DataFrame(rows, columns=list(POLICE_UK_COLUMNS))


def download_police_uk(
    months: Iterable[str] | str,
    dest: Path,
    bbox_lonlat: tuple[float, float, float, float],
    force: str = "hertfordshire",
    timeout: float = 30,
) -> list[Path]:
    """Download street-level crime from the data.police.uk API into the bulk layout.

    Queries ``/api/crimes-street/all-crime`` with a ``poly`` (the box) and
    ``date`` for each month and writes
    ``dest/YYYY-MM/YYYY-MM-<force>-street.csv`` with the 12
    :data:`POLICE_UK_COLUMNS`, so :func:`read_police_uk` reads the result
    (``root=dest``). Differences from the bulk files: the API returns crimes
    located in the box whatever force recorded them, rows without
    coordinates are not included, and ``LSOA code``/``LSOA name`` are empty.
    A box holding over 10,000 crimes in a month is split into quarters.

    Parameters
    ----------
    months : iterable of str or str
        Months ``YYYY-MM``.
    dest : Path
        Output folder (created if needed).
    bbox_lonlat : tuple of float
        ``(lon_min, lat_min, lon_max, lat_max)`` in degrees.
    force : str
        Force slug for the file names and the ``Reported by`` column.
    timeout : float
        Seconds per HTTP request.

    Returns
    -------
    list of Path
        The files written.

    Raises
    ------
    OfflineError
        If data.police.uk cannot be reached (with how to supply local files).
    DataError
        If the service answers with an error.
    """
    months = [months] if isinstance(months, str) else list(months)
    for m in months:
        check_month(m)
    bbox = check_bbox(bbox_lonlat, "bbox_lonlat")
    info = _get_json(f"{POLICE_UK_API}/forces/{force}", {}, timeout) or {}
    force_name = info.get("name") or force
    written = []
    for month in months:
        crimes = _fetch_crimes(month, bbox, timeout)
        path = police_uk_path(Path(dest), month, force)
        path.parent.mkdir(parents=True, exist_ok=True)
        _api_to_rows(crimes, month, force_name).to_csv(path, index=False)
        log.info("wrote %d rows to %s", len(crimes), path)
        written.append(path)
    return written


# ---------------------------------------------------------------- ONS Crime Severity Score
_SHEET_LINK = re.compile(r'href="([^"]+?\.(?:csv|xlsx|xls))"', re.IGNORECASE)


def _css_offline_message(url: str, exc: Exception, dest: Path) -> str:
    """Explain that ons.gov.uk is unreachable and where to get the weights by hand."""
    from .harm_indices import CSS_DATASET_URL, CSS_DEFAULT_FILE

    return (f"cannot reach ons.gov.uk ({url}): {exc}. This machine seems to have no internet "
            f"connection. Get the Crime Severity Score weights by hand: on a connected machine "
            f"open {CSS_DATASET_URL}, download the weights table (one row per Home Office "
            f"offence code: offence code, offence, weight), save it as CSV at "
            f"{Path(dest) / CSS_DEFAULT_FILE.name} (or anywhere, and give --css-table FILE).")


def _get(url: str, timeout: float, dest: Path):
    """GET `url` (OfflineError with the hand-download advice when unreachable)."""
    import requests

    try:
        resp = requests.get(url, timeout=timeout)
    except (requests.ConnectionError, requests.Timeout) as exc:
        raise OfflineError(_css_offline_message(url, exc, dest)) from exc
    if resp.status_code != 200:
        raise DataError(f"ons.gov.uk answered {resp.status_code} for {url}")
    return resp


def _weights_link(page_html: str, base_url: str) -> str:
    """The link to the weights file on the ONS dataset page (one naming 'weight' first)."""
    from urllib.parse import urljoin

    links = _SHEET_LINK.findall(page_html)
    if not links:
        raise DataError(f"{base_url}: the page links no CSV or spreadsheet; download the "
                        "weights table by hand")
    best = next((link for link in links if "weight" in link.lower()), links[0])
    return urljoin(base_url, best.replace("&amp;", "&"))


def download_css(dest: Path, url: str | None = None, timeout: float = 30) -> Path:
    """Download the ONS Crime Severity Score weights into `dest`.

    Fetches `url` (default the ONS dataset page,
    :data:`~hotspot_sim.data.harm_indices.CSS_DATASET_URL`); when it is a
    web page, follows its link to the weights file (a link naming "weight"
    first). A CSV is saved as ``dest/crime_severity_score_weights.csv``, a
    spreadsheet under its own name; either is checked with
    :func:`~hotspot_sim.data.harm_indices.load_css_table`.

    Parameters
    ----------
    dest : Path
        Folder to save into (created if needed).
    url : str, optional
        Page or file to fetch.
    timeout : float
        Seconds per HTTP request.

    Returns
    -------
    Path
        The file saved.

    Raises
    ------
    OfflineError
        If ons.gov.uk cannot be reached (saying where to get the file by hand).
    DataError
        If the service answers with an error, the page links no table, or the
        file is not a table of weights by offence code.
    """
    from urllib.parse import unquote

    from .harm_indices import CSS_DATASET_URL, CSS_DEFAULT_FILE, load_css_table

    dest = Path(dest)
    url = url or CSS_DATASET_URL
    resp = _get(url, timeout, dest)
    if "html" in resp.headers.get("content-type", "").lower():
        url = _weights_link(resp.text, url)
        resp = _get(url, timeout, dest)
    # ONS links read ".../file?uri=/.../weights.xlsx": the name is the last path part
    name = unquote(url).rstrip("/").rsplit("/", 1)[-1].split("?")[0]
    suffix = Path(name).suffix.lower()
    target = dest / (CSS_DEFAULT_FILE.name if suffix not in (".xlsx", ".xls") else name)
    dest.mkdir(parents=True, exist_ok=True)
    target.write_bytes(resp.content)
    load_css_table(target)  # fails, naming the file, when it is not the weights table
    log.info("saved the ONS Crime Severity Score weights to %s", target)
    return target
