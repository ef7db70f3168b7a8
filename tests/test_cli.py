"""The command line: help, data summary, errors."""

from __future__ import annotations

import argparse
import json

import pytest

from hotspot_sim.cli import main

from .conftest import SCENARIOS


def test_help_lists_commands(capsys):
    with pytest.raises(SystemExit) as e:
        main(["--help"])
    assert e.value.code == 0
    out = capsys.readouterr().out
    for cmd in ("data", "params", "HOTSPOT_SIM_DATA"):
        assert cmd in out


def test_params_table(capsys):
    assert main(["params"]) == 0
    out = capsys.readouterr().out
    assert "`deterrence.onset_minutes`" in out and "Koper" in out


def test_bad_scenario_is_one_clear_line(tmp_path, capsys):
    p = tmp_path / "bad.toml"
    p.write_text('[network]\nosm_file = "x.osm"\n[officers]\ncount = -2\n')
    assert main(["data", "summary", "--scenario", str(p)]) == 2
    err = capsys.readouterr().err
    assert "bad.toml [officers] count = -2" in err and "Traceback" not in err


@pytest.mark.realdata
def test_data_summary_json(real_data, capsys):
    assert main(["data", "summary", "--scenario", str(SCENARIOS / "welwyn_hatfield.toml"),
                 "--json"]) == 0
    s = json.loads(capsys.readouterr().out)
    assert s["network"]["nodes"] > 10_000
    assert s["rows"]["dropped"]["outside_study_area"] > 0
    assert s["data"]["kind"] in ("embedded", "HOTSPOT_SIM_DATA")
    assert sum(s["crimes_by_type"].values()) == s["rows"]["kept"]
    assert len(s["top_places"]) == 10
    harms = [p["harm"] for p in s["top_places"]]
    assert harms == sorted(harms, reverse=True)
    assert all(p["location"].startswith("On or near") for p in s["top_places"])
    assert 0 < s["concentration"]["share_of_all_nodes_holding_50pct_harm"] < 0.1


@pytest.mark.realdata
def test_data_summary_text(real_data, capsys):
    assert main(["data", "summary"]) == 0
    out = capsys.readouterr().out
    assert "Top 10 places by harm" in out and "outside study area" in out
    assert out.splitlines()[1].startswith("Data: ")


def test_data_summary_says_the_embedded_data_was_used(monkeypatch, capsys):
    monkeypatch.delenv("HOTSPOT_SIM_DATA", raising=False)
    assert main(["data", "summary"]) == 0
    out = capsys.readouterr().out
    assert "Data: embedded Welwyn Hatfield clip" in out and "left out then" in out


def all_help_texts() -> dict[str, str]:
    """Every command's and sub-command's --help text, by command path."""
    from hotspot_sim.cli import build_parser

    texts, todo = {}, [((), build_parser())]
    while todo:
        path, parser = todo.pop()
        texts[" ".join(path) or "hotspot-sim"] = parser.format_help()
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                todo += [(path + (name,), p) for name, p in action.choices.items()]
    return texts


def test_help_texts_have_no_doubled_percent_or_outside_paths():
    texts = all_help_texts()
    assert {"run", "power", "report", "calibrate", "validate", "data summary"} <= set(texts)
    for name, text in texts.items():
        assert "%%" not in text, name
        assert "../" not in text and "shared/" not in text and "REFERENCE.md" not in text, name


def test_run_help_lists_every_registered_policy():
    from hotspot_sim.sim.policies import REGISTRY

    text = all_help_texts()["run"]
    for name, cls in REGISTRY.items():
        assert f"  {name} " in text, name


def test_help_documents_exit_statuses(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    assert "exit status:" in out
    for line in ("  0    success", "  2    bad input", "  3    internal error", "  130  interrupted"):
        assert line in out


def test_unexpected_error_is_one_line_without_traceback(monkeypatch, capsys):
    def boom():
        raise RuntimeError("something broke")

    monkeypatch.setattr("hotspot_sim.settings.describe_settings", boom)
    assert main(["params"]) == 3
    err = capsys.readouterr().err
    assert "hotspot-sim: internal error: RuntimeError: something broke" in err
    assert "rerun as 'hotspot-sim -v COMMAND" in err and "Traceback" not in err


def test_verbose_shows_the_traceback_of_an_unexpected_error(monkeypatch, capsys):
    monkeypatch.setattr("hotspot_sim.settings.describe_settings",
                        lambda: {}["no such key"])
    assert main(["-v", "params"]) == 3
    err = capsys.readouterr().err
    assert "Traceback" in err and "internal error: KeyError" in err


@pytest.mark.parametrize("exc, expect", [
    (PermissionError(13, "Permission denied", "/data/gps.csv"),
     "hotspot-sim: error: /data/gps.csv: Permission denied (check the file's permissions"),
    (FileNotFoundError(2, "No such file or directory", "/data/x.csv"),
     "/data/x.csv: No such file or directory (check the path)"),
    (IsADirectoryError(21, "Is a directory", "/data"), "/data: Is a directory (give a file"),
    (OSError(28, "No space left on device"), "hotspot-sim: error: [Errno 28] No space left"),
])
def test_file_errors_name_the_path(monkeypatch, capsys, exc, expect):
    def fail():
        raise exc

    monkeypatch.setattr("hotspot_sim.settings.describe_settings", fail)
    assert main(["params"]) == 2
    err = capsys.readouterr().err
    assert expect in err and "Traceback" not in err


def test_unwritable_output_names_the_path(tmp_path, capsys):
    """A real OSError: the output folder lies under a file."""
    (tmp_path / "file").write_text("x")
    exp = tmp_path / "e.toml"
    exp.write_text(f'[experiment]\nname = "e"\nscenario = "{SCENARIOS / "welwyn_hatfield.toml"}"\n'
                   'days = 1\nreplications = 1\n[[arms]]\npolicy = "none"\n')
    assert main(["experiment", str(exp), "--out", str(tmp_path / "file" / "out"), "-q"]) == 2
    err = capsys.readouterr().err
    assert f"{tmp_path / 'file' / 'out'}" in err and "Not a directory" in err
    assert "Traceback" not in err


def test_params_shows_each_keys_source_or_assumption(capsys):
    assert main(["params"]) == 0
    rows = [line.split(" | ") for line in capsys.readouterr().out.splitlines()
            if line.startswith("| `")]
    source = {r[0].strip("| `"): r[-1].rstrip(" |") for r in rows}
    assert len(source) > 50 and all(source.values())
    assert "Koper 1995" in source["deterrence.onset_minutes"]
    assert "Barnes et al. 2020" in source["deterrence.long_hold_days"]
    assert source["deterrence.presence_effect"].startswith("assumption")
    assert source["calls.grade1_per_day"] == "assumption"
    assert source["scenario.seed"] == "setting"


def test_rerunning_the_same_command_replaces_its_own_run_only(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    argv = ["run", "--policy", "hotspot_koper", "--days", "0.1", "--quiet"]
    assert main(argv) == 0
    (folder,) = (tmp_path / "results" / "runs").iterdir()
    first = (folder / "crimes.parquet").read_bytes()
    assert main(argv) == 0  # same settings: replaced, and the outputs are identical
    assert (folder / "crimes.parquet").read_bytes() == first
    capsys.readouterr()
    assert main(argv + ["--set", "officers.count=5"]) == 2  # other settings: refused
    err = capsys.readouterr().err
    assert "already holds a run" in err and "--overwrite" in err and "Traceback" not in err
