"""Track: GPS, crimes, hot spots and plan must belong together (issue 11, item 5).

Each case is checked through the library (:func:`track.track_frames` on frames read
by the CSV readers) and through ``hotspot-sim track`` in-process: one clear error or
a counted warning naming the lines, never a traceback or a dose of 0 that looks real.
"""

from __future__ import annotations

import pandas as pd
import pytest

from hotspot_sim import track as tr
from hotspot_sim.cli import main
from hotspot_sim.errors import DataError

# two hot spots in Welwyn Garden City (British National Grid metres)
HOTSPOTS = "hotspot_id,x,y\nA,524000,210000\nB,524600,210300\n"
AT_A, AT_B, NEAR = (524000, 210000), (524600, 210300), (525000, 211000)  # NEAR: in the area
FAR = (560000, 250000)  # about 50 km away


def ping_rows(officer, start: str, xy, n: int) -> list[str]:
    t = pd.Timestamp(start) + pd.to_timedelta(range(n), unit="min")
    return [f"{officer},{s:%Y-%m-%dT%H:%M:%S},{xy[0]},{xy[1]}" for s in t]


def gps_text(*extra: str) -> str:
    """30 minutes at A, 20 near, 10 at B on 5 November 2021, then ``extra`` rows."""
    rows = (ping_rows(1, "2021-11-05T10:00", AT_A, 30) + ping_rows(1, "2021-11-05T10:30", NEAR, 20)
            + ping_rows(1, "2021-11-05T10:50", AT_B, 10) + list(extra))
    return "officer,time,x,y\n" + "\n".join(rows) + "\n"


def crimes_text(*rows: str) -> str:
    return "time,x,y,crime_type\n" + "\n".join(rows) + "\n"


GOOD_CRIMES = ("2021-11-05T11:30:00,524010,210000,Robbery",
               "2021-11-05T12:00:00,524600,210310,Burglary")


@pytest.fixture
def files(tmp_path):
    def make(gps=None, hotspots=HOTSPOTS, crimes=None, plan=None) -> dict:
        out = {}
        for name, text in [("gps", gps or gps_text()), ("hotspots", hotspots),
                           ("crimes", crimes), ("plan", plan)]:
            if text is not None:
                out[name] = tmp_path / f"{name}.csv"
                out[name].write_text(text)
        out["out"] = tmp_path / "out"
        return out
    return make


def library(f: dict, radius_m=None) -> dict:
    origin = None
    gps = tr.read_gps_csv(f["gps"])
    crimes = tr.read_crimes_csv(f["crimes"]) if "crimes" in f else None
    if "plan" in f:
        origin = tr.day_origin(gps["time"][~tr.stray_times(gps["time"])])
    plan = tr.read_plan_csv(f["plan"], origin) if "plan" in f else None
    return tr.track_frames(gps, tr.read_hotspots_csv(f["hotspots"]), crimes, plan, radius_m,
                           origin=origin)


def cli(f: dict, capsys, *extra: str) -> tuple[int, str]:
    """Exit code and stderr of ``hotspot-sim track`` on ``f``; stdout kept in ``cli.out``."""
    args = ["track", "--out", str(f["out"])]
    for name in ("gps", "hotspots", "crimes", "plan"):
        if name in f:
            args += [f"--{name}", str(f[name])]
    code = main(args + list(extra))
    captured = capsys.readouterr()
    cli.out = captured.out
    assert "Traceback" not in captured.err
    return code, captured.err


def assert_error(f: dict, capsys, match: str, advice: str) -> None:
    """The library raises a DataError matching ``match``; the CLI exits 2 with ``advice``."""
    with pytest.raises(DataError, match=match):
        library(f)
    code, err = cli(f, capsys)
    assert code == 2 and err.startswith("hotspot-sim: error:") and advice in err


def warning(tables: dict, check: str) -> pd.Series:
    w = tables["warnings"].set_index("check")
    assert check in w.index, f"no {check!r} warning in {w.index.tolist()}"
    return w.loc[check]


def test_clean_inputs_give_no_warning(files, capsys):
    f = files(crimes=crimes_text(*GOOD_CRIMES))
    t = library(f)
    assert t["warnings"].empty and t["dose"]["minutes"].sum() == 40.0
    code, err = cli(f, capsys)
    assert code == 0 and "warning" not in err


# --------------------------------------------------------------------------- space


def test_far_pings_are_counted_with_their_lines(files, capsys):
    f = files(gps=gps_text(*ping_rows(1, "2021-11-05T11:00", FAR, 3)))  # lines 62-64
    w = warning(library(f), "far from hot spots")
    assert w["rows"] == 3 and "3 of 63 GPS pings are more than 5 km" in w["message"]
    assert "line 62 (x=560000, y=250000), line 63" in w["message"]
    code, err = cli(f, capsys)
    assert code == 0 and "hotspot-sim: warning:" in err and "line 62" in err
    assert (f["out"] / "warnings.csv").exists()


def test_no_ping_near_the_hot_spots_is_an_error(files, capsys):
    f = files(gps="officer,time,x,y\n" + "\n".join(ping_rows(1, "2021-11-05T10:00", FAR, 5)))
    assert_error(f, capsys, r"gps\.csv: none of the 5 GPS pings is within 5 km of "
                 r"the hot spots.*line 2 \(x=560000",
                 "within 5 km")


def test_far_crimes_warned_and_none_near_is_an_error(files, capsys):
    f = files(crimes=crimes_text(*GOOD_CRIMES, f"2021-11-05T13:00:00,{FAR[0]},{FAR[1]},Robbery"))
    w = warning(library(f), "far from hot spots")
    assert w["rows"] == 1 and "1 of 3 crimes" in w["message"] and "line 4" in w["message"]
    f = files(crimes=crimes_text(f"2021-11-05T13:00:00,{FAR[0]},{FAR[1]},Robbery"))
    assert_error(f, capsys, r"crimes\.csv: none of the 1 crimes is within 5 km",
                 "crimes.csv: none of the 1 crimes")


def test_lon_lat_swapped_is_an_error(files, capsys):
    f = files(gps="officer,time,lon,lat\n1,2021-11-05T10:00:00,51.7749,-0.2041\n")
    assert_error(f, capsys, r"gps\.csv, columns 'lon', 'lat': longitude and "
                 r"latitude look swapped in 1 row.*line 2 \(lon=51\.7749",
                 "Swap the two column names")


def test_degrees_in_x_y_is_an_error(files, capsys):
    f = files(hotspots="hotspot_id,x,y\nA,-0.2041,51.7749\nB,-0.19,51.78\n")
    assert_error(f, capsys, r"hotspots\.csv, columns 'x', 'y': 2 row\(s\) hold "
                 r"longitude/latitude degrees.*line 2 \(x=-0\.2041",
                 "Name the columns lon, lat")


def test_metres_in_lon_lat_is_an_error(files, capsys):
    f = files(crimes="time,lon,lat\n2021-11-05T11:00:00,-0.2,51.77\n"
                     "2021-11-05T11:00:00,524000,210000\n")
    assert_error(f, capsys, r"crimes\.csv, columns 'lon', 'lat': 1 row\(s\) are not "
                 r"degrees.*line 3 \(lon=524000, lat=210000\)",
                 "name the columns x, y")


def test_no_ping_within_any_radius_is_an_error_not_a_zero_dose(files, capsys):
    f = files(gps="officer,time,x,y\n" + "\n".join(ping_rows(1, "2021-11-05T10:00", NEAR, 9)))
    assert_error(f, capsys, r"none of the 9 GPS pings is within the radius of any "
                 r"hot spot \(radius 100 m\); the closest, line 2.*is "
                 r"806 m from hot spot B",
                 "would be 0 minutes everywhere")
    assert not (f["out"] / "dose.csv").exists()


# --------------------------------------------------------------------------- time


def test_crimes_of_another_period_is_an_error(files, capsys):
    f = files(crimes=crimes_text("2019-03-01T11:30:00,524010,210000,Robbery"))
    assert_error(f, capsys, r"crimes\.csv: none of the 1 crimes is in the GPS period "
                 r"\(2021-11-05 to 2021-11-05\); the crimes run from "
                 r"2019-03-01",
                 "same period as the GPS")


def test_crimes_partly_outside_the_period_are_counted_and_left_out(files, capsys):
    f = files(crimes=crimes_text(*GOOD_CRIMES, "2021-11-04T23:00:00,524000,210000,Robbery",
                                 "2021-11-03T23:00:00,524000,210000,Robbery",
                                 "2021-11-06T00:30:00,524000,210000,Robbery"))
    t = library(f)
    w = warning(t, "crimes outside the GPS period")
    assert w["rows"] == 3 and "3 of 5 crimes" in w["message"]
    assert "2 before, 1 after" in w["message"] and "line 4" in w["message"]
    assert t["displacement"]["crimes"].sum() == 2
    code, err = cli(f, capsys)
    assert code == 0 and "2 before, 1 after" in err


def test_stray_timestamp_is_left_out_of_the_period(files, capsys):
    f = files(gps=gps_text("1,2018-01-01T10:00:00,524000,210000"))  # a typed year, line 62
    t = library(f)
    w = warning(t, "stray times")
    assert w["rows"] == 1 and "1 of 61 pings" in w["message"]
    assert "line 62 (officer=1, time=2018-01-01 10:00:00)" in w["message"]
    assert t["dose"]["day"].nunique() == 1 and t["dose"]["minutes"].sum() == 40.0
    code, err = cli(f, capsys)
    assert code == 0 and "1 of 61 pings lie more than 30 days apart" in err
    assert pd.read_csv(f["out"] / "dose.csv")["date"].unique().tolist() == ["2021-11-05"]


def test_stray_times_keeps_comparable_runs_of_dates():
    bulk = pd.date_range("2021-11-01", periods=200, freq="h")
    later = pd.date_range("2022-03-01", periods=50, freq="h")  # a second phase: kept
    t = pd.Series(bulk.append(later).append(pd.DatetimeIndex(["2030-01-01"])))
    assert tr.stray_times(t).tolist() == [False] * 250 + [True]
    assert not tr.stray_times(t[:1]).any()


# --------------------------------------------------------------------------- radius, types, plan


def test_hotspots_radius_column_is_used_and_radius_conflict_reported(files, capsys):
    # pings 250 m from A: inside its own 300 m radius, outside a 100 m --radius
    hs = "hotspot_id,x,y,radius_m\nA,524000,210000,300\nB,524600,210300,100\n"
    f = files(hotspots=hs, gps=gps_text(*ping_rows(1, "2021-11-05T11:00", (524250, 210000), 5)))
    t = library(f)
    assert t["warnings"].empty and t["hotspots"]["radius_m"].tolist() == [300.0, 100.0]
    assert t["dose"].groupby("hotspot_id")["minutes"].sum().to_dict() == {"A": 35.0, "B": 10.0}
    t = library(f, radius_m=100)
    w = warning(t, "radius conflict")
    assert w["rows"] == 1 and "100 m wins for every hot spot" in w["message"]
    assert t["dose"].groupby("hotspot_id")["minutes"].sum().to_dict() == {"A": 30.0, "B": 10.0}
    code, err = cli(f, capsys)
    assert code == 0 and "warning" not in err
    assert "(radius 100-300 m, per hot spot)" in cli.out
    code, err = cli(f, capsys, "--radius", "100")
    assert code == 0 and "(100 m, --radius) differs from the file's own radius_m" in err
    assert pd.read_csv(f["out"] / "hotspots.csv")["radius_m"].tolist() == [100.0, 100.0]


def test_unknown_crime_types_are_counted_and_listed(files, capsys):
    f = files(crimes=crimes_text(*GOOD_CRIMES, "2021-11-05T12:00:00,524000,210000,Mystery",
                                 "2021-11-05T12:10:00,524000,210000,Mystery",
                                 "2021-11-05T12:20:00,524000,210000,robbery"))
    w = warning(library(f), "unknown crime types")
    assert w["rows"] == 3
    assert "'Mystery' (2), 'robbery' (1; did you mean 'Robbery'?)" in w["message"]
    code, err = cli(f, capsys)
    assert code == 0 and "3 crimes have a crime_type with no harm weight" in err


def test_plan_must_name_the_hot_spots_and_the_gps_days(files, capsys):
    f = files(plan="date,hotspot_id,planned_minutes\n2021-11-05,A,15\n2021-11-05,Z,15\n")
    assert_error(f, capsys, r"plan\.csv, column 'hotspot_id': 1 row\(s\) name hot "
                 r"spot\(s\) that are not among the hot spots: \['Z'\]",
                 "line 3")
    f = files(plan="date,hotspot_id,planned_minutes\n2021-11-05,A,15\n2021-11-05,B,15\n"
                   "2021-11-06,A,15\n")
    t = library(f)
    w = warning(t, "plan outside the GPS period")
    assert w["rows"] == 1 and "line 4" in w["message"]
    assert t["compliance"]["day"].tolist() == [0, 0]
    code, err = cli(f, capsys)
    assert code == 0 and "left out of compliance" in err
