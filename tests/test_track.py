"""Track: dose from GPS pings, compliance, residual deterrence, displacement, CSV input, CLI."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from hotspot_sim import track as tr
from hotspot_sim.plots import plot_survival
from hotspot_sim.errors import DataError

T0 = pd.Timestamp("2021-03-01 00:00")
HOTSPOTS = pd.DataFrame({"hotspot_id": [1, 2], "x": [0.0, 1000.0], "y": [0.0, 0.0]})
FAR = (5000.0, 5000.0)


def pings(officer, first: str, xy, n: int, status: str = "patrolling") -> pd.DataFrame:
    time = pd.Timestamp(first) + pd.to_timedelta(np.arange(n), unit="min")
    return pd.DataFrame({"officer": officer, "time": time, "x": float(xy[0]),
                         "y": float(xy[1]), "status": status})


def gps_frame(*parts) -> pd.DataFrame:
    g = pd.concat(parts, ignore_index=True)
    g["tick"] = tr.ticks_from(g["time"], T0)
    return g


@pytest.fixture
def gps():
    """Officer 7: 15 minutes at A across midnight, 5 away, 5 at B, then 45 on a call."""
    return gps_frame(pings(7, "2021-03-01 23:50", (30.0, 40.0), 15),      # A, 50 m off centre
                     pings(7, "2021-03-02 00:05", FAR, 5),
                     pings(7, "2021-03-02 00:10", (1000.0, 99.0), 5),      # B, just inside
                     pings(7, "2021-03-02 00:15", FAR, 45, "answering_call"))


def test_presence_minutes_and_distances(gps):
    p = tr.presence(gps, HOTSPOTS)
    assert (p["minutes"] == 1.0).all()  # median gap
    per = p.groupby("hotspot_id")["minutes"].sum()
    assert per.to_dict() == {1: 15.0, 2: 5.0}
    assert p["hotspot_id"].isna().sum() == 50
    assert np.allclose(p.loc[p["hotspot_id"] == 1, "distance_m"], 50.0)
    # a smaller radius leaves B out; a per-hot-spot radius column is used with radius_m=None
    assert tr.presence(gps, HOTSPOTS, radius_m=90)["hotspot_id"].eq(2).sum() == 0
    hs = HOTSPOTS.assign(radius_m=[40.0, 150.0])
    assert tr.presence(gps, hs, radius_m=None)["hotspot_id"].value_counts().to_dict() == {2: 5}


def test_visits_exact(gps):
    v = tr.visits(gps, HOTSPOTS)
    assert v[["officer", "hotspot_id", "start", "end", "minutes", "pings"]].values.tolist() == [
        [7, 1, 1430, 1445, 15.0, 15], [7, 2, 1450, 1455, 5.0, 5]]
    assert v["start_time"].iloc[0] == pd.Timestamp("2021-03-01 23:50")
    assert v["end_time"].iloc[1] == pd.Timestamp("2021-03-02 00:15")


def test_visit_gaps_and_other_hotspots():
    g = gps_frame(pings(1, "2021-03-01 10:00", (0, 0), 2),   # 10:00, 10:01
                  pings(1, "2021-03-01 10:03", (0, 0), 1),   # 2-minute gap: same visit
                  pings(1, "2021-03-01 10:07", (0, 0), 2),   # 4-minute gap: new visit
                  pings(1, "2021-03-01 10:09", (1000, 0), 1),  # straight into B: new visit
                  pings(2, "2021-03-01 10:00", (0, 0), 3))   # another officer, own visit
    v = tr.visits(g, HOTSPOTS, interval_min=1)
    assert v[["officer", "hotspot_id", "minutes", "pings"]].values.tolist() == [
        [1, 1, 4.0, 3], [2, 1, 3.0, 3], [1, 1, 2.0, 2], [1, 2, 1.0, 1]]
    assert len(tr.visits(g, HOTSPOTS, max_gap_min=5, interval_min=1)) == 3


def test_dose_by_day_splits_midnight(gps):
    v = tr.visits(gps, HOTSPOTS)
    d = tr.dose_by_day(v, HOTSPOTS, days=2, origin=T0)
    got = d.set_index(["day", "hotspot_id"])
    assert got["minutes"].to_dict() == {(0, 1): 10.0, (0, 2): 0.0, (1, 1): 5.0, (1, 2): 5.0}
    assert got["visits"].to_dict() == {(0, 1): 1, (0, 2): 0, (1, 1): 0, (1, 2): 1}
    assert got.loc[(0, 1), "mean_visit_min"] == 15.0 and math.isnan(got.loc[(1, 1),
                                                                            "mean_visit_min"])
    assert str(d["date"].iloc[2]) == "2021-03-02"


def test_compliance_against_plan(gps):
    v = tr.visits(gps, HOTSPOTS)
    dose = tr.dose_by_day(v, HOTSPOTS, days=2, origin=T0)
    plan = pd.DataFrame({"day": [0, 0, 1, 1], "hotspot_id": [1, 2, 1, 2],
                         "planned_minutes": [15.0, 0.0, 5.0, 10.0],
                         "treated": [True, False, True, True],
                         "date": pd.to_datetime(["2021-03-01", "2021-03-01", "2021-03-02",
                                                 "2021-03-02"]).date})
    c = tr.compliance(dose, plan, gps)
    sd = c["spot_days"].set_index(["day", "hotspot_id"])
    assert sd["delivered_minutes"].to_dict() == {(0, 1): 10.0, (0, 2): 0.0, (1, 1): 5.0,
                                                 (1, 2): 5.0}
    assert sd["met"].to_dict() == {(0, 1): False, (0, 2): False, (1, 1): True, (1, 2): False}
    o = c["overall"].iloc[0]
    assert o["planned_minutes"] == 30.0 and o["delivered_on_planned_minutes"] == 20.0
    assert o["delivered_over_planned"] == pytest.approx(2 / 3)
    assert o["share_planned_days_met"] == pytest.approx(1 / 3)
    assert o["control_day_min"] == 0.0 and o["treated_day_min"] == pytest.approx(20 / 3)
    by = c["by_hotspot"].set_index("hotspot_id")
    assert by.loc[1, "planned_min_per_day"] == 10.0 and by.loc[1, "delivered_min_per_day"] == 7.5
    assert by.loc[1, "mean_visit_min"] == 15.0 and by.loc[2, "share_planned_days_met"] == 0.0
    calls = c["calls"].set_index("day")
    assert calls["call_minutes"].to_dict() == {0: 0.0, 1: 45.0}
    assert calls.loc[1, "on_duty_minutes"] == 60.0
    assert o["call_minutes"] == 45.0


def test_kaplan_meier_hand_computed():
    t = [2, 3, 3, 5, 8, 8, 10]
    e = [1, 1, 0, 1, 0, 1, 0]
    km = tr.kaplan_meier(t, e)
    assert km["time"].tolist() == [2, 3, 5, 8, 10]
    assert km["at_risk"].tolist() == [7, 6, 4, 3, 1]
    assert np.allclose(km["survival"], [6 / 7, 5 / 7, 15 / 28, 5 / 14, 5 / 14])
    assert tr.survival_at(km, 4) == pytest.approx(5 / 7) and tr.survival_at(km, 1) == 1.0
    assert math.isnan(tr.survival_at(km, 11))
    assert tr.median_survival(km) == 8
    from statsmodels.duration.survfunc import SurvfuncRight

    sm = SurvfuncRight(np.array(t, float), np.array(e, float))
    assert np.allclose(sm.surv_prob, km.loc[km["events"] > 0, "survival"])
    assert np.allclose(sm.surv_prob_se, km.loc[km["events"] > 0, "se"])


def make_visits(rows) -> pd.DataFrame:
    """(officer, hotspot_id, start minute, end minute) from T0."""
    df = pd.DataFrame(rows, columns=["officer", "hotspot_id", "start", "end"])
    df["minutes"] = (df["end"] - df["start"]).astype(float)
    df["start_time"] = T0 + pd.to_timedelta(df["start"], unit="min")
    df["end_time"] = T0 + pd.to_timedelta(df["end"], unit="min")
    df["visit"] = np.arange(len(df))
    df["pings"] = df["end"] - df["start"]
    return df


def make_crimes(rows) -> pd.DataFrame:
    """(minute, x, y) from T0, harm 1 each."""
    df = pd.DataFrame(rows, columns=["tick", "x", "y"])
    df["time"] = T0 + pd.to_timedelta(df["tick"], unit="min")
    df["harm"] = 1.0
    return df


def test_residual_deterrence_time_to_crime_and_censoring():
    v = make_visits([(1, 1, 0, 15), (1, 1, 60, 62), (1, 1, 100, 110), (2, 2, 0, 5),
                     (2, 2, 200, 210), (3, 2, 205, 220)])
    crimes = make_crimes([(35, 10, 0), (100, 0, 10), (3, 1000, 0), (65, 1050, 0),
                          (230, 990, 0), (50, 3000, 0)])
    end = T0 + pd.Timedelta(minutes=400)
    r = tr.residual_deterrence(v, crimes, HOTSPOTS, end_time=end)
    s = r["spells"].sort_values(["hotspot_id", "start_time"])
    assert s["minutes"].tolist() == [15.0, 2.0, 10.0, 5.0, 20.0]  # B's overlap merged
    assert s["duration"].tolist() == [20.0, 38.0, 290.0, 60.0, 10.0]
    assert s["crime"].tolist() == [True, False, False, True, True]
    assert s["bin"].astype(str).tolist() == ["15-20", "0-5", "10-15", "5-10", "20+"]
    t = r["table"].set_index("bin")
    assert t.loc["15-20", "crimes_within_30"] == 1 and t.loc["15-20", "p_crime_30"] == 1.0
    assert t.loc["5-10", "crimes_within_30"] == 0 and t.loc["5-10", "crimes_within_60"] == 1
    assert t.loc["0-5", "p_crime_30"] == 0.0 and math.isnan(t.loc["0-5", "p_crime_120"])
    assert t.loc["15-20", "median_crime_free_min"] == 20.0
    assert set(r["survival"]["bin"]) == set(t.index)
    short = tr.residual_deterrence(v, crimes, HOTSPOTS, horizon_min=30, end_time=end)["spells"]
    b = short.sort_values(["hotspot_id", "start_time"])
    assert b["duration"].tolist() == [20.0, 30.0, 30.0, 30.0, 10.0]
    assert b["crime"].tolist() == [True, False, False, False, True]


def test_plot_survival_writes_png(tmp_path):
    v = make_visits([(1, 1, 0, 15), (1, 2, 0, 3)])
    r = tr.residual_deterrence(v, make_crimes([(40, 0, 0)]), HOTSPOTS,
                               end_time=T0 + pd.Timedelta(hours=5))
    path = plot_survival(r["survival"], tmp_path / "sub" / "s.png")
    assert path.read_bytes()[:4] == b"\x89PNG"


def test_displacement_rings_and_wdq():
    hs = pd.DataFrame({"hotspot_id": [1, 2], "x": [0.0, 10000.0], "y": [0.0, 0.0]})
    after = make_crimes([(0, 50, 0), (0, 150, 0), (0, 250, 0), (0, 350, 0), (0, 10000, 0),
                         (0, 10120, 0)])
    z = tr.displacement(after, hs, [1])["zones"].set_index(["group", "zone"])
    assert z["crimes"].to_dict() == {
        ("treated", "hot spot"): 1, ("treated", "ring +0-100 m"): 1,
        ("treated", "ring +100-200 m"): 1, ("control", "hot spot"): 1,
        ("control", "ring +0-100 m"): 1, ("control", "ring +100-200 m"): 0,
        ("all", "elsewhere"): 1}
    assert z.loc[("treated", "hot spot"), "places"] == 1
    # WDQ: treated core 10 -> 5, buffer 2 -> 1, control core 10 -> 10
    before = make_crimes([(0, 0, 0)] * 10 + [(0, 150, 0)] * 2 + [(0, 10000, 0)] * 10)
    after = make_crimes([(0, 0, 0)] * 5 + [(0, 150, 0)] * 1 + [(0, 10000, 0)] * 10)
    w = tr.displacement(after, hs, [1], before=before)["wdq"].set_index("buffer_zone")
    assert w.loc["all rings", "success"] == pytest.approx(-0.5)
    assert w.loc["all rings", "buffer"] == pytest.approx(-0.1)
    assert w.loc["all rings", "wdq"] == pytest.approx(0.2)
    assert w.loc["all rings", "reading"] == "diffusion of benefits"
    assert np.isnan(tr.displacement_quotient((10, 10), (2, 4), (10, 10)).wdq)  # no fall
    assert tr.displacement_quotient((10, 5), (2, 6), (10, 10)).wdq == pytest.approx(-0.8)
    few = tr.displacement(after.iloc[5:], hs, [1], before=before.iloc[5:])["wdq"]
    assert few["reading"].iloc[0] == ("WDQ not defined: too few crimes at the hot spots "
                                      "(5 in the before period)")


def test_displacement_by_spot_day():
    hs = pd.DataFrame({"hotspot_id": [1, 2], "x": [0.0, 10000.0], "y": [0.0, 0.0]})
    plan = pd.DataFrame({"day": [0, 0, 1, 1], "hotspot_id": [1, 2, 1, 2],
                         "treated": [True, False, False, True]})
    crimes = make_crimes([(60, 0, 0), (1500, 0, 0), (1500, 10000, 0), (4000, 0, 0)])
    z = tr.displacement(crimes, hs, plan, origin=T0)["zones"].set_index(["group", "zone"])
    assert z.loc[("treated", "hot spot"), "crimes"] == 2
    assert z.loc[("control", "hot spot"), "crimes"] == 1
    assert z.loc[("unplanned", "hot spot"), "crimes"] == 1
    assert z.loc[("treated", "hot spot"), "places"] == 2


# --------------------------------------------------------------------------- external CSV


def write(tmp_path, name, text):
    p = tmp_path / name
    p.write_text(text)
    return p


def test_read_gps_csv(tmp_path):
    p = write(tmp_path, "gps.csv", "Officer,time,x,y,status\n"
              "A1,2021-03-01T23:50:00,0,0,patrolling\nA1,2021-03-01T23:51:00,0,10,"
              "answering_call\n")
    g = tr.read_gps_csv(p)
    assert g["tick"].tolist() == [1430, 1431] and g["officer"].tolist() == ["A1", "A1"]
    assert g["status"].tolist() == ["patrolling", "answering_call"]
    ll = write(tmp_path, "ll.csv", "officer,time,lon,lat\n1,2021-11-05T06:00:00Z,"
               "-0.204136,51.774943\n")
    g = tr.read_gps_csv(ll)
    assert abs(g["x"].iloc[0] - 524000) < 2 and abs(g["y"].iloc[0] - 210000) < 2
    assert g["time"].iloc[0] == pd.Timestamp("2021-11-05 06:00")  # UTC -> GMT in November
    assert g["officer"].dtype == np.int64


def test_external_csv_errors_name_file_row_and_column(tmp_path):
    p = write(tmp_path, "gps_nox.csv", "officer,time,y\n1,2021-03-01T10:00,5\n")
    with pytest.raises(DataError, match=r"gps_nox\.csv, line 1.*'x'"):
        tr.read_gps_csv(p)
    p = write(tmp_path, "gps_notime.csv", "officer,x,y\n1,0,0\n")
    with pytest.raises(DataError, match=r"gps_notime\.csv.*'time'"):
        tr.read_gps_csv(p)
    p = write(tmp_path, "badtime.csv", "officer,time,x,y\n1,2021-03-01T10:00,0,0\n"
              "1,yesterday,0,0\n")
    with pytest.raises(DataError, match=r"badtime\.csv, line 3, column 'time': 'yesterday'"):
        tr.read_gps_csv(p)
    p = write(tmp_path, "badx.csv", "time,x,y\n2021-03-01T10:00,abc,0\n")
    with pytest.raises(DataError, match=r"badx\.csv, line 2, column 'x': 'abc' is not a number"):
        tr.read_crimes_csv(p)
    p = write(tmp_path, "gapy.csv", "time,x,y\n2021-03-01T10:00,1,2\n2021-03-01T10:00,1,\n")
    with pytest.raises(DataError, match=r"gapy\.csv, line 3, column 'y': missing value"):
        tr.read_crimes_csv(p)
    p = write(tmp_path, "hs.csv", "hotspot_id,lon,lat\n1,-0.2,51.7\n1,-0.2,51.8\n")
    with pytest.raises(DataError, match=r"hs\.csv, line 3, column 'hotspot_id'.*duplicate"):
        tr.read_hotspots_csv(p)
    with pytest.raises(DataError, match="not found"):
        tr.read_gps_csv(tmp_path / "nope.csv")


def test_read_crimes_and_hotspots_csv(tmp_path):
    c = tr.read_crimes_csv(write(tmp_path, "c.csv", "time,x,y,crime_type\n"
                                 "2021-03-02T01:00,0,0,Robbery\n2021-03-02T02:00,0,0,Mystery\n"),
                           origin=T0)
    assert c["tick"].tolist() == [1500, 1560]
    assert c["harm"].iloc[0] == 365 and math.isnan(c["harm"].iloc[1])
    h = tr.read_hotspots_csv(write(tmp_path, "h.csv", "hotspot_id,x,y,radius_m,location\n"
                                   "A,0,0,150,High St\n"))
    assert h.loc[0, "hotspot_id"] == "A" and h.loc[0, "radius_m"] == 150
    assert h.loc[0, "location"] == "High St"
    plan = tr.read_plan_csv(write(tmp_path, "p.csv", "date,hotspot_id,planned_minutes,treated\n"
                                  "2021-03-02,A,15,yes\n2021-03-03,A,0,no\n"), origin=T0)
    assert plan["day"].tolist() == [1, 2] and plan["treated"].tolist() == [True, False]


# --------------------------------------------------------------------------- end to end


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    from hotspot_sim.sim.model import PatrolModel
    from hotspot_sim.sim.outputs import write_run

    from .test_model import GRID, HOT, small_scenario, synthetic_study

    # hot spot officers are not pulled off their visits for calls and the response car on
    # duty answers calls of every grade, so the plan is kept; the synthetic grid has 4
    # places with harm at least 300 m apart, so ask for those 4
    s = small_scenario(calls={"pull_hotspot_officers": False, "cars_held_for_grade1": 0})
    model = PatrolModel(s, synthetic_study(s, GRID, HOT), policy="hotspot_koper",
                        policy_params={"k": 4})
    model.run_for(1440)
    folder = tmp_path_factory.mktemp("run")
    write_run(model, folder)
    return folder


def test_track_run_delivered_close_to_plan(run_dir):
    t = tr.track_run(run_dir)
    assert len(t["visits"]) > 10 and t["dose"]["minutes"].sum() > 100
    assert {"survival", "residual_deterrence", "displacement", "calls"} <= set(t)
    if not (run_dir / "dose_plan.parquet").exists():
        pytest.skip("dose_plan.parquet not written yet by the hot spot policies")
    o = t["compliance_overall"].iloc[0]
    # Delivered counts every minute within 100 m (travel through and waiting there too),
    # planned only the ordered dwell, and calls interrupt rounds: same order of size.
    assert 0.8 < o["delivered_over_planned"] < 3.0
    assert o["share_planned_days_met"] > 0.8


def test_cli_track_run_and_external(run_dir, tmp_path, capsys):
    from hotspot_sim.cli import main

    assert main(["track", str(run_dir)]) == 0
    out = capsys.readouterr().out
    assert "Residual deterrence" in out and "Minutes lost to calls" in out
    assert (run_dir / "track" / "survival.png").stat().st_size > 1000
    assert (run_dir / "track" / "dose.csv").exists()
    # the same run as a force's CSV exports, without the run folder
    gps = pd.read_parquet(run_dir / "gps.parquet")
    gps["time"] = gps["time"].dt.strftime("%Y-%m-%dT%H:%M:%S")
    gps[["officer", "time", "x", "y", "status"]].to_csv(tmp_path / "g.csv", index=False)
    pd.read_parquet(run_dir / "hotspots.parquet")[["hotspot_id", "x", "y"]].to_csv(
        tmp_path / "h.csv", index=False)
    crimes = pd.read_parquet(run_dir / "crimes.parquet")
    crimes["time"] = crimes["time"].dt.strftime("%Y-%m-%dT%H:%M:%S")
    crimes[["time", "x", "y", "crime_type", "harm"]].to_csv(tmp_path / "c.csv", index=False)
    out_dir = tmp_path / "out"
    assert main(["track", "--gps", str(tmp_path / "g.csv"), "--hotspots", str(tmp_path / "h.csv"),
                 "--crimes", str(tmp_path / "c.csv"), "--out", str(out_dir)]) == 0
    ext = pd.read_csv(out_dir / "visits.csv")
    own = tr.track_run(run_dir)["visits"]
    assert len(ext) == len(own) and ext["minutes"].sum() == own["minutes"].sum()
    assert (out_dir / "survival.png").exists()
    assert main(["track"]) == 2
    assert main(["track", "--gps", str(tmp_path / "missing.csv"), "--hotspots", "x.csv"]) == 2
    assert "missing.csv" in capsys.readouterr().err


# --------------------------------------------------------------------------- unreadable CSV files


def test_tracking_csv_exported_as_cp1252_is_read_with_a_warning(tmp_path, caplog):
    path = tmp_path / "h.csv"
    path.write_bytes("hotspot_id,x,y,location\nA,0,0,Café Rouge\nB,1000,0,O’Neill’s\n"
                     .encode("cp1252"))
    with caplog.at_level("WARNING"):
        h = tr.read_hotspots_csv(path)
    assert h["location"].tolist() == ["Café Rouge", "O’Neill’s"]
    assert str(path) in caplog.text and "hot spots file is not UTF-8" in caplog.text
    assert "cp1252" in caplog.text and "2 line(s)" in caplog.text


@pytest.mark.parametrize("raw,expect", [
    (b"", "empty (0 bytes)"),
    (b"officer,time,x,y\n", "no rows"),
    (b"\x89PNG\r\n\x1a\n" + bytes(300), "not a text CSV"),
    (b"PK\x03\x04" + bytes(300), "Excel .xlsx"),
])
def test_unreadable_gps_file_is_named(tmp_path, raw, expect):
    path = tmp_path / "gps.csv"
    path.write_bytes(raw)
    with pytest.raises(DataError) as exc:
        tr.read_gps_csv(path)
    assert str(path) in str(exc.value) and expect in str(exc.value)


def test_header_only_crimes_and_plan_files_have_no_rows(tmp_path):
    (tmp_path / "c.csv").write_text("time,x,y\n")
    (tmp_path / "p.csv").write_text("day,hotspot_id,planned_minutes\n")
    with pytest.raises(DataError, match="no rows"):
        tr.read_crimes_csv(tmp_path / "c.csv")
    with pytest.raises(DataError, match="no rows"):
        tr.read_plan_csv(tmp_path / "p.csv")


def small_row_groups(run_dir, folder, edit=None):
    """A copy of ``run_dir`` whose gps.parquet has row groups of 500 pings (``edit``ed)."""
    import shutil

    import pyarrow as pa
    import pyarrow.parquet as pq

    shutil.copytree(run_dir, folder)
    gps = pd.read_parquet(folder / "gps.parquet")
    gps = edit(gps) if edit else gps
    pq.write_table(pa.Table.from_pandas(gps, preserve_index=False), folder / "gps.parquet",
                   row_group_size=500)
    return folder


def whole_table_tables(run_dir):
    """track_run's tables the way it found them from the whole GPS table in memory."""
    run = tr.read_run(run_dir)
    return tr.track_frames(run["gps"], run["hotspots"], run["crimes"], run["plan"],
                           origin=run["origin"], end_time=run["end_time"])


def assert_same_tables(got: dict, expected: dict):
    assert list(got) == list(expected)
    for name in expected:
        pd.testing.assert_frame_equal(got[name], expected[name], obj=name)


def test_track_run_reads_gps_parquet_a_row_group_at_a_time_with_the_same_tables(run_dir,
                                                                                 tmp_path):
    from hotspot_sim.track.run_gps import track_run_gps

    folder = small_row_groups(run_dir, tmp_path / "run")
    run = tr.read_run(folder, with_gps=False)
    streamed = track_run_gps(folder / "gps.parquet", run["hotspots"], run["crimes"],
                             run["plan"], None, run["origin"], run["end_time"])
    assert streamed is not None and len(streamed["visits"]) > 10 and len(streamed["calls"])
    expected = whole_table_tables(folder)
    assert_same_tables(streamed, expected)
    assert_same_tables(tr.track_run(folder), expected)


def test_track_run_streamed_warns_about_far_pings_as_the_whole_table_does(run_dir, tmp_path):
    from hotspot_sim.track.run_gps import track_run_gps

    def far_pings(gps):
        gps.loc[[7, 600, 601, 602, 1500, 2000, 2001], "x"] += 50_000  # 50 km east: kept
        return gps

    folder = small_row_groups(run_dir, tmp_path / "run", far_pings)
    run = tr.read_run(folder, with_gps=False)
    streamed = track_run_gps(folder / "gps.parquet", run["hotspots"], run["crimes"],
                             run["plan"], None, run["origin"], run["end_time"])
    assert streamed["warnings"]["check"].tolist() == ["far from hot spots"]
    assert "row 8 (x=" in streamed["warnings"]["message"][0]
    assert "and 2 more" in streamed["warnings"]["message"][0]
    assert_same_tables(streamed, whole_table_tables(folder))


def test_track_run_reads_the_whole_gps_table_when_pings_are_left_out(run_dir, tmp_path):
    from hotspot_sim.track.run_gps import track_run_gps

    def stray_ping(gps):
        gps.loc[len(gps) - 1, "time"] += pd.Timedelta(days=100)  # left out, with a warning
        return gps

    folder = small_row_groups(run_dir, tmp_path / "run", stray_ping)
    run = tr.read_run(folder, with_gps=False)
    assert track_run_gps(folder / "gps.parquet", run["hotspots"], run["crimes"], run["plan"],
                         None, run["origin"], run["end_time"]) is None
    tables = tr.track_run(folder)
    assert tables["warnings"]["check"].tolist() == ["stray times"]
    assert_same_tables(tables, whole_table_tables(folder))
