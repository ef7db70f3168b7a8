"""Write examples/force_calls.csv: ~300 synthetic calls for service in Welwyn Hatfield.

Nothing is real: calls are drawn at nodes of the embedded Welwyn Hatfield street
network (within 20 m, so all snap), over January to March 2024, with an hourly
shape that differs by grade (immediate calls peak late at night, scheduled ones
in the daytime), then one bad row per drop reason is appended. Run from the
repository root: ``.venv/bin/python scripts/make_force_calls_example.py``.
"""

from __future__ import annotations

import csv
import os
from pathlib import Path

import numpy as np

os.environ.pop("HOTSPOT_SIM_DATA", None)  # always the embedded network

from hotspot_sim.network import load_network  # noqa: E402
from hotspot_sim.settings import load_scenario  # noqa: E402

OUT = Path(__file__).resolve().parents[1] / "examples" / "force_calls.csv"
GRADES = {1: ("Immediate", 60, 22), 2: ("Priority", 120, 18), 3: ("Scheduled", 116, 13)}
"""Grade: (wording, calls, hour of the peak)."""
TYPES = {1: ["Violence", "Burglary in progress", "Road traffic collision"],
         2: ["Domestic", "Theft", "Suspicious circumstances"],
         3: ["Crime report", "Anti-social behaviour", "Lost property"]}
BAD_ROWS = [  # one per drop reason (with the study period 2024-01 to 2024-03)
    ["CAD-0007", "02/01/2024 08:15", "523100.0", "209000.0", "Priority", "Theft"],        # duplicate id
    ["CAD-9001", "31/02/2024 25:00", "523100.0", "209000.0", "Priority", "Theft"],        # bad date-time
    ["CAD-9002", "15/04/2024 10:00", "523100.0", "209000.0", "Scheduled", "Crime report"],  # outside period
    ["CAD-9003", "10/02/2024 11:00", "", "209000.0", "Immediate", "Violence"],             # no coordinates
    ["CAD-9004", "11/02/2024 12:00", "523100.0", "209000.0", "Z9", "Theft"],               # unknown grade
    ["CAD-9005", "12/02/2024 13:00", "800000.0", "300000.0", "Priority", "Theft"],        # outside the area (off the grid)
]


def hours_for(rng: np.random.Generator, n: int, peak: int) -> np.ndarray:
    """Hours drawn from a smooth daily cycle peaking at `peak` (1 + 0.8 cos)."""
    h = np.arange(24)
    w = 1 + 0.8 * np.cos(2 * np.pi * (h - peak) / 24)
    return rng.choice(24, size=n, p=w / w.sum())


def main() -> None:
    rng = np.random.default_rng(2024)
    net = load_network(load_scenario("welwyn_hatfield").network)
    busy = rng.choice(net.n_nodes, size=40, replace=False)  # calls cluster at some places
    rows = []
    for grade, (word, n, peak) in GRADES.items():
        hours = hours_for(rng, n, peak)
        days = rng.integers(0, 91, size=n)  # 2024-01-01 + 0..90 = up to 30 March
        nodes = np.where(rng.random(n) < 0.5, rng.choice(busy, size=n), rng.integers(0, net.n_nodes, n))
        for h, d, node in zip(hours, days, nodes):
            when = np.datetime64("2024-01-01") + np.timedelta64(int(d), "D")
            stamp = f"{str(when)[8:10]}/{str(when)[5:7]}/2024 {h:02d}:{rng.integers(0, 60):02d}"
            x, y = net.x[node] + rng.uniform(-14, 14), net.y[node] + rng.uniform(-14, 14)
            rows.append([stamp, f"{x:.1f}", f"{y:.1f}", word, str(rng.choice(TYPES[grade]))])
    order = rng.permutation(len(rows))
    with OUT.open("w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh)
        out.writerow(["Incident No", "Created", "Easting", "Northing", "Grade", "Incident Type"])
        for i, k in enumerate(order):
            out.writerow([f"CAD-{i:04d}", *rows[k]])
        out.writerows(BAD_ROWS)


if __name__ == "__main__":
    main()
