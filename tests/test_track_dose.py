"""track.dose: minutes answering calls per day from the GPS status."""

from __future__ import annotations

import numpy as np
import pandas as pd

from hotspot_sim.track.dose import CALL_STATUS, OFF_STATUS, call_minutes_by_day

T0 = pd.Timestamp("2021-03-01 00:00")


def test_call_minutes_per_day_from_status():
    minutes = [0, 1, 2, 3, 1440, 1441]
    status = ["patrolling", CALL_STATUS, CALL_STATUS, OFF_STATUS, CALL_STATUS, "patrolling"]
    gps = pd.DataFrame({"officer": 1, "time": T0 + pd.to_timedelta(minutes, unit="min"),
                        "status": status})
    calls = call_minutes_by_day(gps, origin=T0, interval_min=1)
    assert calls["day"].tolist() == [0, 1]
    assert calls["on_duty_minutes"].tolist() == [3.0, 2.0]  # the off-duty ping is not on duty
    assert calls["call_minutes"].tolist() == [2.0, 1.0]
    assert np.allclose(calls["call_share"], [2 / 3, 0.5])
    assert calls["date"].tolist() == [T0.date(), (T0 + pd.Timedelta(days=1)).date()]


def test_no_status_gives_an_empty_table():
    gps = pd.DataFrame({"officer": [1], "time": [T0]})
    calls = call_minutes_by_day(gps)
    assert calls.empty and list(calls.columns) == ["day", "date", "on_duty_minutes",
                                                   "call_minutes", "call_share"]
