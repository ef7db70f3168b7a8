"""Harm indices a force can choose: CHI, ONS Crime Severity Score, a force's own weights."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from hotspot_sim import target as tg
from hotspot_sim.cli import main
from hotspot_sim.data import download as dl
from hotspot_sim.data import harm_indices as hi
from hotspot_sim.data import load_harm_weights, read_force_crimes, read_force_mapping
from hotspot_sim.errors import ConfigError, DataError, OfflineError
from hotspot_sim.network import synthetic_grid
from hotspot_sim.study import synthetic_study

from .conftest import ROOT
from .test_model import small_scenario

EXAMPLES = ROOT / "examples"
CSS = EXAMPLES / "css_weights_SYNTHETIC.csv"
CODE_MAP = EXAMPLES / "offence_code_map_SYNTHETIC.csv"
BY_TYPE = EXAMPLES / "force_weights_by_type_SYNTHETIC.csv"
BY_CODE = EXAMPLES / "force_weights_by_code_SYNTHETIC.csv"
VIOLENCE = "Violence and sexual offences"


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# ------------------------------------------------------------------ loading each index


def test_css_table_is_read_under_its_title_rows():
    css = hi.load_css_table(CSS)
    assert len(css) == 20 and list(css.columns[:4]) == ["offence_code", "code", "offence", "weight"]
    assert css.loc[css["offence_code"] == "X01", "weight"].item() == 6000.0
    assert css["line"].iat[0] == 5          # two title lines and a blank line above the header


def test_css_category_weight_is_the_median_of_its_codes_by_default():
    index = hi.load_css_index(CSS, CODE_MAP)
    weights = index.table["chi_days"]
    assert set(weights.index) == set(hi.police_uk_categories())
    assert weights[VIOLENCE] == pytest.approx(np.median([6000, 900, 40, 1500]))  # 1200
    assert weights["Burglary"] == pytest.approx((350 + 120) / 2)
    assert weights["Anti-social behaviour"] == 0.0 and index.table.loc[
        "Anti-social behaviour", "is_asb"]
    assert "coarse" in index.table.loc[VIOLENCE, "assumption"]


@pytest.mark.parametrize("rule,expect", [("mean", (6000 + 900 + 40 + 1500) / 4), ("max", 6000)])
def test_category_rule_can_be_mean_or_max(rule, expect):
    assert hi.load_css_index(CSS, CODE_MAP, rule).table.loc[VIOLENCE, "chi_days"] == expect


def test_force_table_by_crime_type_loads():
    index = hi.load_force_weights(BY_TYPE)
    assert index.table.loc["Robbery", "chi_days"] == 200.0
    assert index.code_weights is None and index.unit == "force weight"


def test_chi_leaves_the_crimes_as_they_are():
    crimes = pd.DataFrame({"Crime type": ["Robbery"], "harm": [123.0]})
    out = hi.apply_harm_index(crimes, hi.resolve_harm_index("chi"))
    assert out["harm"].tolist() == [123.0]


def test_force_records_with_offence_codes_are_weighted_by_their_code(tmp_path):
    mapping = read_force_mapping(EXAMPLES / "force_crimes_mapping.toml")
    crimes, _ = read_force_crimes(EXAMPLES / "force_crimes.csv", mapping,
                                  (515979, 203234, 530285, 214042))
    index = hi.load_force_weights(BY_CODE)
    out = hi.apply_harm_index(crimes, index)
    res = out[out["offence"] == "BURG-RES"]
    bus = out[out["offence"] == "BURG-BUS"]
    assert len(res) and (res["harm"] == 150.0).all() and (res["harm_source"] == "code").all()
    assert len(bus) and (bus["harm"] == 60.0).all()
    # the category weight (median of 150 and 60) would have given both 105
    assert index.table.loc["Burglary", "chi_days"] == 105.0


# ------------------------------------------------------------------ ranking by an index


def test_each_index_ranks_places_and_the_lists_are_compared():
    scenario = small_scenario()
    net = synthetic_grid(12, 1, 400.0)
    # node 2: 3 robberies, node 8: 2 violence offences; CHI puts node 2 first, the
    # synthetic CSS (robbery 700, violence median 1200) node 8
    types = ["Robbery"] * 3 + [VIOLENCE] * 2
    study = synthetic_study(scenario, net, [2, 2, 2, 8, 8], types=types)
    settings = tg.TargetSettings(k=1, radius_m=0.0)
    chi_top = tg.target(study, settings)["node"].tolist()
    css = hi.apply_harm_index(study.crimes, hi.load_css_index(CSS, CODE_MAP))
    cmp = tg.compare_hotspots(study, css, settings, labels=("chi", "css"))
    assert chi_top == [2]                                   # 3 x 365 > 2 x 193.94
    assert cmp.table.loc[cmp.table["index"] == "css", "node"].tolist() == [8]  # 2 x 1200 > 3 x 700
    assert cmp.overlap == 0 and cmp.only_in("css")["rank_in_other"].tolist() == [2]
    assert cmp.places_compared == 2 and np.isnan(cmp.spearman)   # too few places to rank


def test_same_weights_give_full_overlap_and_correlation_one():
    scenario = small_scenario()
    net = synthetic_grid(10, 10, 60.0)
    rng = np.random.default_rng(3)
    study = synthetic_study(scenario, net, rng.integers(0, 100, 300))
    cmp = tg.compare_hotspots(study, study.crimes.copy(), tg.TargetSettings(k=4),
                              labels=("chi", "same"))
    assert cmp.overlap == 4 and cmp.spearman == pytest.approx(1.0)
    assert "4 of the top 4" in tg.format_comparison(cmp)


# ------------------------------------------------------------------ bad tables


@pytest.mark.parametrize("text,expect", [
    ("crime_type,weight\nRobbery,1\nBurglarry,2\n", "line 3: unknown crime type 'Burglarry'"),
    ("crime_type,weight\nRobbery,-1\n", "line 2 (crime_type 'Robbery'): weight '-1' is negative"),
    ("crime_type,weight\nRobbery,nan\n", "weight 'nan' is not a number"),
    ("crime_type,weight\nRobbery,\n", "weight '' is not a number"),
    ("crime_type,weight\nRobbery,\"1,5\"\n", "weight '1,5' is not a number"),  # decimal comma
    ("crime_type,days\nRobbery,1\n", "missing column(s)"),
    ("crime_type,weight\nRobbery,1\nRobbery,2\n", "listed more than once (lines [2, 3])"),
    ("crime_type,weight\nRobbery,1\n", "no weight for crime type(s)"),
])
def test_bad_force_tables_name_file_and_row(tmp_path, text, expect):
    path = write(tmp_path, "weights.csv", text)
    with pytest.raises(DataError) as err:
        hi.load_force_weights(path)
    assert str(path) in str(err.value) and expect in str(err.value)


def test_bad_css_tables_name_file_and_row(tmp_path):
    bad_weight = write(tmp_path, "css.csv", "Offence code,Offence,Weight\n1,A,5\n2,B,-3\n")
    with pytest.raises(DataError, match=r"css.csv: line 3 \(offence_code '2'\).*negative"):
        hi.load_css_table(bad_weight)
    no_weight = write(tmp_path, "css2.csv", "Offence code,Offence\n1,A\n")
    with pytest.raises(DataError, match="css2.csv: missing column"):
        hi.load_css_table(no_weight)
    same_code = write(tmp_path, "css3.csv", "Offence code,Weight\n028,5\n28,6\n")
    with pytest.raises(DataError, match="'28' listed more than once"):
        hi.load_css_table(same_code)


def test_css_weights_read_thousands_separators(tmp_path):
    path = write(tmp_path, "css.csv", 'Offence code,Weight\n1,"7,259.5"\n2,12\n')
    assert hi.load_css_table(path)["weight"].tolist() == [7259.5, 12.0]


def test_code_map_with_unknown_crime_type_is_an_error(tmp_path):
    path = write(tmp_path, "map.csv", "offence_code,crime_type\nX01,Violence\n")
    with pytest.raises(DataError, match=r"map.csv: line 2: unknown crime type 'Violence'"):
        hi.load_code_map(path)


def test_css_map_missing_a_category_is_an_error(tmp_path):
    path = write(tmp_path, "map.csv", "offence_code,crime_type\nX05,Robbery\n")
    with pytest.raises(DataError, match="no offence code with a weight maps to the crime type"):
        hi.load_css_index(CSS, path)


def test_css_needs_its_table_and_a_code_map(tmp_path):
    with pytest.raises(DataError, match="download-css"):
        hi.resolve_harm_index("css", css_path=tmp_path / "none.csv", map_path=CODE_MAP)
    with pytest.raises(ConfigError, match="--code-map"):
        hi.resolve_harm_index("css", css_path=CSS)
    with pytest.raises(ConfigError, match="not one of chi, css"):
        hi.resolve_harm_index(str(tmp_path / "nothing.csv"))


def test_force_table_by_code_without_category_needs_a_map(tmp_path):
    path = write(tmp_path, "w.csv", "offence_code,weight\nX05,3\n")
    with pytest.raises(DataError, match="need a 'crime_type' column or a code map"):
        hi.load_force_weights(path)


def test_shipped_chi_table_is_still_the_default():
    assert hi.resolve_harm_index("chi").table.equals(load_harm_weights())


# ------------------------------------------------------------------ download


def test_css_download_offline_says_where_to_get_the_file(tmp_path, monkeypatch):
    import requests

    def offline(*args, **kwargs):
        raise requests.ConnectionError("Name or service not known")

    monkeypatch.setattr(requests, "get", offline)
    with pytest.raises(OfflineError) as err:
        dl.download_css(tmp_path)
    msg = str(err.value)
    assert "cannot reach ons.gov.uk" in msg and hi.CSS_DATASET_URL in msg and "by hand" in msg
    assert not any(tmp_path.iterdir())


class FakeResponse:
    def __init__(self, content: bytes, content_type: str, status: int = 200):
        self.content, self.status_code = content, status
        self.headers = {"content-type": content_type}
        self.text = content.decode("utf-8")


def test_css_download_follows_the_page_link_and_checks_the_file(tmp_path, monkeypatch):
    import requests

    page = b'<a href="/file?uri=/x/notes.xlsx">notes</a> <a href="/files/css_weights.csv">w</a>'
    answers = {hi.CSS_DATASET_URL: FakeResponse(page, "text/html; charset=utf-8"),
               "https://www.ons.gov.uk/files/css_weights.csv":
                   FakeResponse(CSS.read_bytes(), "text/csv")}
    monkeypatch.setattr(requests, "get", lambda url, timeout: answers[url])
    path = dl.download_css(tmp_path)
    assert path == tmp_path / "crime_severity_score_weights.csv"
    assert len(hi.load_css_table(path)) == 20


def test_css_download_of_something_else_is_a_data_error(tmp_path, monkeypatch):
    import requests

    monkeypatch.setattr(requests, "get", lambda url, timeout: FakeResponse(b"a,b\n1,2\n",
                                                                           "text/csv"))
    with pytest.raises(DataError, match="missing column"):
        dl.download_css(tmp_path, url="https://example.org/weights.csv")


def test_download_css_command_offline_is_one_clear_line(tmp_path, monkeypatch, capsys):
    import requests

    monkeypatch.setattr(requests, "get", lambda *a, **k: (_ for _ in ()).throw(
        requests.ConnectionError("offline")))
    assert main(["data", "download-css", "--dest", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "cannot reach ons.gov.uk" in err and "Traceback" not in err


# ------------------------------------------------------------------ target --harm-index


def test_target_harm_index_css_prints_and_writes_the_comparison(tmp_path, capsys):
    out = tmp_path / "t"
    assert main(["target", "-k", "5", "--out", str(out), "--harm-index", "css",
                 "--css-table", str(CSS), "--code-map", str(CODE_MAP)]) == 0
    text = capsys.readouterr().out
    assert "Harm index css against chi:" in text and "of the top 5 hot spots" in text
    table = pd.read_csv(out / "harm_index_comparison.csv")
    assert sorted(table["index"].unique()) == ["chi", "css"]
    assert (table.groupby("index").size() == 5).all()
    assert table["rank_in_other"].min() >= 1


def test_target_with_a_bad_force_table_fails_naming_it(tmp_path, capsys):
    path = write(tmp_path, "w.csv", "crime_type,weight\nRobbery,oops\n")
    assert main(["target", "-k", "3", "--out", str(tmp_path / "t"), "--harm-index",
                 str(path)]) == 2
    assert f"{path}: line 2" in capsys.readouterr().err


def test_css_download_of_a_spreadsheet_keeps_its_name(tmp_path, monkeypatch):
    import requests

    page = b'<a href="/file?uri=/crime/datasets/css/cssweights2024.xlsx">weights</a>'
    answers = {hi.CSS_DATASET_URL: FakeResponse(page, "text/html"),
               "https://www.ons.gov.uk/file?uri=/crime/datasets/css/cssweights2024.xlsx":
                   FakeResponse(b"not really a workbook", "application/octet-stream")}
    monkeypatch.setattr(requests, "get", lambda url, timeout: answers[url])
    with pytest.raises(DataError, match="cssweights2024.xlsx"):   # saved, then checked
        dl.download_css(tmp_path)
    assert (tmp_path / "cssweights2024.xlsx").read_bytes() == b"not really a workbook"


def test_default_css_location_missing_says_how_to_get_it(tmp_path, monkeypatch):
    monkeypatch.setenv("HOTSPOT_SIM_DATA", str(tmp_path))     # a data folder without the table
    with pytest.raises(DataError, match="ons_css/crime_severity_score_weights.csv.*download-css"):
        hi.resolve_harm_index("css", map_path=CODE_MAP)
    (tmp_path / "ons_css").mkdir()
    (tmp_path / "ons_css" / "crime_severity_score_weights.csv").write_bytes(CSS.read_bytes())
    assert hi.resolve_harm_index("css", map_path=CODE_MAP).name == "css"   # found there


def test_force_table_by_code_under_title_lines(tmp_path):
    text = "My force's weights (SYNTHETIC)\n\n" + BY_CODE.read_text(encoding="utf-8")
    index = hi.load_force_weights(write(tmp_path, "w.csv", text))
    assert index.code_weights["BURG-RES"] == 150.0


def test_download_css_command_saves_under_dest_and_says_how_to_use_it(tmp_path, monkeypatch,
                                                                     capsys):
    import requests

    monkeypatch.setattr(requests, "get", lambda url, timeout: FakeResponse(CSS.read_bytes(),
                                                                           "text/csv"))
    assert main(["data", "download-css", "--dest", str(tmp_path),
                 "--url", "https://example.org/css.csv"]) == 0
    out = capsys.readouterr().out
    saved = tmp_path / "crime_severity_score_weights.csv"
    assert saved.is_file() and f"--css-table {saved}" in out
