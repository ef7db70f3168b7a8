"""trial analyse: a GPS log covering part of the schedule's days is named, not silent."""
import pandas as pd

from hotspot_sim.trial.field import gps_coverage_notes

ORIGIN = pd.Timestamp("2025-03-01")


def pings(days: list[float]) -> pd.DataFrame:
    return pd.DataFrame({"time": [ORIGIN + pd.Timedelta(days=d) for d in days]})


def test_a_log_covering_every_day_gives_no_warning():
    assert gps_coverage_notes(pings([0.5, 1.2, 2.9]), "gps.csv", ORIGIN, 3) == []


def test_days_without_pings_are_named():
    notes = gps_coverage_notes(pings([0.5, 1.5]), "gps.csv", ORIGIN, 4)
    assert [n["check"] for n in notes] == ["schedule days without GPS"]
    assert notes[0]["rows"] == 2
    assert "2025-03-03, 2025-03-04" in notes[0]["message"] and "gps.csv" in notes[0]["message"]


def test_pings_of_other_days_are_counted():
    notes = gps_coverage_notes(pings([-0.5, 0.5, 1.5, 2.0]), "gps.csv", ORIGIN, 2)
    assert [n["check"] for n in notes] == ["GPS outside the schedule"]
    assert notes[0]["rows"] == 2 and "2 of 4 pings" in notes[0]["message"]
