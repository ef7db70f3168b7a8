"""A corpus of broken inputs, run through every command of the CLI in-process.

Each case is a row of ``CASES``: the command line (``{tmp}`` stands for the
folder holding the files of ``FILES``) and a piece of text the error message
must contain (the file, key and value, or the option and value).  Every case
must end with a non-zero exit status, that text on stderr, no traceback, and no
simulated minute (the model's ``run_for`` is replaced by one that fails the
test): bad input is refused before anything runs.

To add a broken input: add its file to ``FILES`` (text, or bytes for binary or
badly encoded files) and a ``Case`` that names it as ``{tmp}/NAME``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest

from hotspot_sim.cli import main

from .conftest import SCENARIOS

SCENARIO = SCENARIOS / "welwyn_hatfield.toml"
NET = '[network]\nosm_file = "osm/welwyn_hatfield.osm"\n'
EXP = ('[experiment]\nname = "bad"\nscenario = "' + str(SCENARIO) + '"\n{head}\n'
       '[[arms]]\nname = "koper"\npolicy = "hotspot_koper"\n{rest}')


RUN_JSON = ('{"policy": "hotspot_koper", "days": 1, "seed": 1, "written": "2021-11-05T06:00:00", '
            '"start": "2021-11-05T06:00", "minutes": 1440}')


def experiment(head: str = "", rest: str = "") -> str:
    """An experiment file (1 day, 1 replication unless ``head`` sets them) with extra
    ``[experiment]`` lines and extra tables."""
    for key in ("days", "replications"):
        if f"{key} =" not in head:
            head += f"\n{key} = 1"
    return EXP.format(head=head, rest=rest)


# name -> file content (str or bytes), written to {tmp}/name
FILES: dict[str, str | bytes] = {
    # scenarios
    "nan_presence.toml": NET + "[deterrence]\npresence_effect = nan\n",
    "inf_decay.toml": NET + "[deterrence]\nshort_decay_minutes = inf\n",
    "neg_inf_radius.toml": NET + "[deterrence]\nradius_m = -inf\n",
    "neg_officers.toml": NET + "[officers]\ncount = -3\n",
    "huge_offenders.toml": NET + "[offenders]\ncount = 1_000_000_000\n",
    "float_seed.toml": NET + "[scenario]\nseed = 1.5\n",
    "nan_service.toml": NET + "[calls]\nservice_minutes = [45.0, nan, 30.0]\n",
    "nan_type_weight.toml": NET + "[risk]\ntype_weights = { Burglary = nan }\n",
    "nan_policy_param.toml": NET + '[policy]\nname = "hotspot_koper"\n'
                                   "params = { dwell_minutes = nan }\n",
    "unknown_key.toml": NET + "[officers]\ncont = 3\n",
    "nan_bbox.toml": '[network]\nbbox = [-0.3, nan, -0.1, 51.8]\n',
    "bad_month.toml": NET + '[crime]\nfirst_month = "2021-13"\n',
    "no_shifts.toml": NET + "[officers]\nshift_starts = []\n",
    "name_traversal.toml": NET + '[scenario]\nname = "../../elsewhere"\n',
    "latin1.toml": NET.encode() + b'[scenario]\nname = "Caf\xe9"\n',  # saved as latin-1
    "binary.toml": bytes(range(256)),
    # experiments
    "exp_days_nan.toml": experiment("days = nan"),
    "exp_days_neg.toml": experiment("days = -5"),
    "exp_days_huge.toml": experiment("days = 1e9"),
    "exp_reps_zero.toml": experiment("replications = 0"),
    "exp_reps_float.toml": experiment("replications = 2.5"),
    "exp_seed_float.toml": experiment("seed = 1.5"),
    "exp_hotspots_zero.toml": experiment("hotspots = 0"),
    "exp_radius_inf.toml": experiment("hotspot_radius_m = inf"),
    "exp_rings_order.toml": experiment("rings_m = [200, 100]"),
    "exp_rings_nan.toml": experiment("rings_m = [100, nan]"),
    "exp_unknown_key.toml": experiment("replicates = 3"),
    "exp_quick_days.toml": experiment(rest="[quick]\ndays = -2\n"),
    "exp_quick_nan.toml": experiment(rest="[quick]\ndays = nan\n"),
    "exp_quick_reps.toml": experiment(rest="[quick]\nreplications = 0\n"),
    "exp_quick_key.toml": experiment(rest="[quick]\ndayz = 2\n"),
    "exp_grid_nan.toml": experiment(rest='[grid]\n"deterrence.presence_effect" = [0.5, nan]\n'),
    "exp_grid_count.toml": experiment(rest='[grid]\n"officers.count" = [5, 2.5]\n'),
    "exp_grid_policy.toml": experiment(rest='[grid]\n"policy.dwell_minutes" = [15, -5]\n'),
    "exp_grid_policy_inf.toml": experiment(
        rest='[grid]\n"policy.min_separation_m" = [300.0, inf]\n'),
    "exp_arm_param_nan.toml": experiment().replace(
        'policy = "hotspot_koper"\n',
        'policy = "hotspot_koper"\nparams = { min_separation_m = nan }\n'),
    "exp_arm_set_nan.toml": experiment().replace(
        'policy = "hotspot_koper"\n',
        'policy = "hotspot_koper"\nset = { "deterrence.residual_peak" = nan }\n'),
    "exp_arm_params_not_table.toml": experiment().replace(
        'policy = "hotspot_koper"\n', 'policy = "hotspot_koper"\nparams = 5\n'),
    "exp_grid_not_table.toml": "grid = 5\n" + experiment(),
    "exp_name_traversal.toml": experiment().replace('name = "bad"', 'name = "../../elsewhere"'),
    "exp_arm_name_slash.toml": experiment().replace('name = "koper"', 'name = "a/b"'),
    "exp_grid_huge.toml": experiment(rest="[grid]\n" + "".join(
        f'"policy.{k}" = {list(range(1, 40))}\n' for k in ("dwell_minutes", "revisit_minutes",
                                                         "k"))),
    "exp_ok.toml": experiment(),
    "blocker": "a file where a folder is expected\n",
    # files that cannot be read (tracking CSVs; damaged run and experiment folders)
    "gps_binary.csv": b"PK\x03\x04" + bytes(200),
    "gps_header_only.csv": "officer,time,x,y\n",
    "gps_empty.csv": b"",
    "gps_mixed.csv": "officer,time,x,y\nPC Zoë,2021-11-05T18:00,523000,209000\n".encode()
                     + b"PC Zo\xeb,2021-11-05T18:01,523000,209000\n",  # UTF-8, then latin-1
    "hotspots.csv": "hotspot_id,x,y\n1,523000,209000\n",
    # a real trial's schedule whose day column disagrees with its dates (line 3)
    "schedule_days.csv": "date,day,hotspot_id,treated,planned_minutes\n"
                         "2021-11-01,0,1,true,15\n2021-11-02,5,1,false,0\n",
    "plan_space_bad.toml": "dwell_minutes = [5, 15]\nbogus = [1, 2]\n",
    "gps_ok.csv": "officer,time,x,y\n1,2021-11-01T10:00:00,523000,209000\n",
    "crimes_ok.csv": "time,x,y,crime_type\n2021-11-01T11:00:00,523010,209000,Burglary\n",
    "run_damaged/run.json": RUN_JSON,
    "run_damaged/gps.parquet": b"",
    "run_taken/run.json": RUN_JSON,
    "exp_damaged/manifest.json": '{"experiment": "x", "tasks": []}',
    "exp_damaged/runs.parquet": b"PAR1" + bytes(60),
}


@dataclass(frozen=True)
class Case:
    id: str
    argv: tuple[str, ...]
    expect: tuple[str, ...]  # texts the error message must contain ({tmp} is replaced)


def case(id: str, argv: str, *expect: str) -> Case:
    """A case from a command line (split on spaces) and the texts its message must hold."""
    return Case(id, tuple(argv.split()), expect)


def scenario_cases(cmd: str, extra: str = "") -> list[Case]:
    """The broken scenarios through one scenario-taking command."""
    rows = [("nan_presence", "[deterrence] presence_effect = nan: must be a finite number"),
            ("inf_decay", "[deterrence] short_decay_minutes = inf: must be a finite number"),
            ("neg_inf_radius", "[deterrence] radius_m = -inf: must be a finite number"),
            ("neg_officers", "[officers] count = -3: must be >= 0"),
            ("huge_offenders", "[offenders] count = 1000000000: must be <= 1000000"),
            ("float_seed", "[scenario] seed = 1.5: expected int"),
            ("nan_service", "[calls] service_minutes = [45.0, nan, 30.0]: item 2 = nan"),
            ("nan_type_weight", "[risk] type_weights = {'Burglary': nan}"),
            ("nan_policy_param", "[policy] params = {'dwell_minutes': nan}"),
            ("unknown_key", "[officers]: unknown key 'cont'"),
            ("nan_bbox", "[network] bbox = [-0.3, nan, -0.1, 51.8]: item 2 = nan"),
            ("bad_month", "[crime] first_month = '2021-13': expected a month as YYYY-MM"),
            ("no_shifts", "[officers] shift_starts = []: give at least one hour"),
            ("name_traversal", "[scenario] name = '../../elsewhere': expected a name without"),
            ("latin1", "line 4: not UTF-8 text (byte 0xe9"),
            ("binary", "line 2: not UTF-8 text (byte 0x80 at offset 128)")]
    return [case(f"{cmd.replace(' ', '_')}-{name}",
                 f"{cmd} --scenario {{tmp}}/{name}.toml {extra}".strip(),
                 f"{{tmp}}/{name}.toml {expect}") for name, expect in rows]


def experiment_cases() -> list[Case]:
    rows = [("exp_days_nan", "[experiment] days = nan: must be a finite number"),
            ("exp_days_neg", "[experiment] days = -5: must be >= 0.001"),
            ("exp_days_huge", "[experiment] days = 1000000000.0: must be <= 3660"),
            ("exp_reps_zero", "[experiment] replications = 0: must be >= 1"),
            ("exp_reps_float", "[experiment] replications = 2.5: expected a whole number"),
            ("exp_seed_float", "[experiment] seed = 1.5: expected a whole number"),
            ("exp_hotspots_zero", "[experiment] hotspots = 0: must be >= 1"),
            ("exp_radius_inf", "[experiment] hotspot_radius_m = inf: must be a finite number"),
            ("exp_rings_order", "[experiment] rings_m = [200, 100]: distances must increase"),
            ("exp_rings_nan", "[experiment] rings_m item 2 = nan: must be a finite number"),
            ("exp_unknown_key", "[experiment]: unknown key(s) replicates"),
            ("exp_quick_days", "[quick] days = -2: must be >= 0.001"),
            ("exp_quick_nan", "[quick] days = nan: must be a finite number"),
            ("exp_quick_reps", "[quick] replications = 0: must be >= 1"),
            ("exp_quick_key", "[quick]: unknown key(s) dayz"),
            ("exp_grid_nan", "presence_effect = nan: must be a finite number"),
            ("exp_grid_count", "[officers] count = 2.5: expected int"),
            ("exp_grid_policy", "[grid] arm 'koper': policy 'hotspot_koper': parameter "
                                "dwell_minutes = -5: must be >= 0"),
            ("exp_grid_policy_inf", "parameter min_separation_m = inf: must be a finite number"),
            ("exp_arm_param_nan", "arm 'koper': policy 'hotspot_koper': parameter "
                                  "min_separation_m = nan: must be a finite number"),
            ("exp_arm_set_nan", "residual_peak = nan: must be a finite number"),
            ("exp_arm_params_not_table", "arm 1 params = 5: expected a table"),
            ("exp_grid_not_table", "grid = 5 must be a table [grid]"),
            ("exp_grid_huge", "[grid]: 59,319 grid points (the product of the list lengths); "
                              "at most 10,000"),
            ("exp_name_traversal", "[experiment] name = '../../elsewhere': expected a name "
                                   "without '/'"),
            ("exp_arm_name_slash", "arm 1 name = 'a/b': expected a name without '/'")]
    return [case(f"experiment-{name}{'-quick' * quick}",
                 f"experiment {{tmp}}/{name}.toml" + " --quick" * quick,
                 f"{{tmp}}/{name}.toml", expect)
            for name, expect in rows for quick in (False, True)
            if not quick or name.startswith("exp_quick")]


CASES: list[Case] = [
    # every scenario-taking command refuses every broken scenario
    *scenario_cases("data summary"),
    *scenario_cases("target"),
    *scenario_cases("run", "--days 1"),
    *scenario_cases("power", "--hotspots 10 --days 30 --sims 5"),
    *scenario_cases("calibrate", "--days 1 --evaluations 1 --out {tmp}/cal"),
    *scenario_cases("validate", "--quick --out {tmp}/val"),
    *scenario_cases("sensitivity", "--trajectories 2 --days 1 --out {tmp}/sens"),
    *experiment_cases(),
    *scenario_cases("trial design", "--days 5 --sims 5 --out {tmp}/pack"),
    *scenario_cases("plan", "--quick --quiet --out {tmp}/plan"),
    # command-line values: usage errors naming the option and the value
    case("run-days-nan", "run --days nan", "argument --days: 'nan': must be a finite number"),
    case("run-days-inf", "run --days inf", "argument --days: 'inf': must be a finite number"),
    case("run-days-zero", "run --days 0", "argument --days: '0': must be >= 0.001"),
    case("run-days-negative", "run --days -3", "argument --days: '-3': must be >= 0.001"),
    case("run-days-huge", "run --days 100000", "argument --days: '100000': must be <= 3660"),
    case("run-seed-float", "run --seed 1.5", "argument --seed: '1.5': expected a whole number"),
    case("run-seed-negative", "run --seed -1", "argument --seed: '-1': must be >= 0"),
    case("run-seed-text", "run --seed abc", "argument --seed: 'abc': expected a whole number"),
    case("run-set-nan", "run --days 1 --set deterrence.presence_effect=nan",
         "[deterrence] presence_effect = nan: must be a finite number"),
    case("run-set-float-count", "run --days 1 --set officers.count=2.5",
         "[officers] count = 2.5: expected int"),
    case("run-param-nan", "run --days 1 --policy hotspot_koper --param min_separation_m=nan",
         "parameter min_separation_m = nan: must be a finite number"),
    case("run-param-inf", "run --days 1 --policy hotspot_koper --param min_separation_m=inf",
         "parameter min_separation_m = inf: must be a finite number"),
    case("run-param-share-over-one",
         "run --days 1 --policy crossover_daily --param treat_share=1.5",
         "parameter treat_share = 1.5: must be <= 1"),
    case("run-param-zero-distance", "run --days 1 --policy predictive --param distance_m=0",
         "parameter distance_m = 0.0: must be >= 1"),
    case("run-param-huge-dwell",
         "run --days 1 --policy hotspot_koper --param dwell_minutes=99999",
         "parameter dwell_minutes = 99999: must be <= 1440"),
    case("run-param-float-for-int", "run --days 1 --policy hotspot_koper --param k=2.5",
         "parameter k = 2.5 should be int"),
    case("experiment-workers-zero", "experiment {tmp}/exp_ok.toml --workers 0",
         "argument --workers/-j: '0': must be >= 1"),
    case("experiment-workers-negative", "experiment {tmp}/exp_ok.toml -j -2",
         "argument --workers/-j: '-2': must be >= 1"),
    case("experiment-out-under-a-file", "experiment {tmp}/exp_ok.toml --out {tmp}/blocker/x",
         "{tmp}/blocker"),
    case("experiment-latin1", "experiment {tmp}/latin1.toml",
         "{tmp}/latin1.toml line 4: not UTF-8 text", "save the experiment file as UTF-8"),
    case("target-out-is-a-file", "target -k 3 --out {tmp}/blocker",
         "{tmp}/blocker: File exists (a file is where a folder should be"),
    case("data-summary-top-zero", "data summary --top 0", "argument --top: '0': must be >= 1"),
    case("target-k-zero", "target -k 0", "argument -k: '0': must be >= 1"),
    case("target-k-float", "target -k 2.5", "argument -k: '2.5': expected a whole number"),
    case("target-radius-nan", "target --radius nan", "argument --radius: 'nan'"),
    case("target-separation-inf", "target --min-separation inf",
         "argument --min-separation: 'inf': must be a finite number"),
    case("target-w-asb-negative", "target --w-asb -1", "argument --w-asb: '-1': must be >= 0"),
    case("track-radius-zero", "track {tmp} --radius 0", "argument --radius: '0': must be > 0"),
    case("track-radius-nan", "track {tmp} --radius nan", "argument --radius: 'nan'"),
    case("report-cost-nan", "report {tmp} --cost-per-hour nan",
         "argument --cost-per-hour: 'nan': must be a finite number"),
    case("report-cost-negative", "report {tmp} --cost-per-hour -40",
         "argument --cost-per-hour: '-40': must be >= 0"),
    case("report-permutations-zero", "report {tmp} --permutations 0",
         "argument --permutations: '0': must be >= 1"),
    case("power-effect-nan", "power --effect nan", "argument --effect: 'nan'"),
    case("power-effect-zero", "power --effect 0", "argument --effect: '0': must be > 0"),
    case("power-alpha-inf", "power --alpha inf", "argument --alpha: 'inf'"),
    case("power-target-over-one", "power --target 1.5", "argument --target: '1.5': must be <= 1"),
    case("power-sims-zero", "power --sims 0", "argument --sims: '0': must be >= 1"),
    case("power-seed-float", "power --seed 0.5", "argument --seed: '0.5': expected a whole"),
    case("power-hotspots-zero", "power --hotspots 0:10", "argument --hotspots: "),
    case("power-hotspots-huge", "power --hotspots 1:99999999999",
         "argument --hotspots: '1:99999999999': values must be <= 10000"),
    case("power-days-huge", "power --days 30:99999:30",
         "argument --days: '30:99999:30': values must be <= 3660"),
    case("calibrate-days-inf", "calibrate --days inf", "argument --days: 'inf'"),
    case("calibrate-warmup-nan", "calibrate --warmup nan", "argument --warmup: 'nan'"),
    case("calibrate-evaluations-zero", "calibrate --evaluations 0",
         "argument --evaluations: '0': must be >= 1"),
    case("validate-days-negative", "validate --days -1", "argument --days: '-1'"),
    case("validate-replications-zero", "validate --replications 0",
         "argument --replications: '0': must be >= 1"),
    case("validate-workers-zero", "validate --workers 0", "argument --workers/-j: '0'"),
    case("sensitivity-days-nan", "sensitivity --days nan", "argument --days: 'nan'"),
    # one trajectory gives no spread of elementary effects (sigma is nan)
    case("sensitivity-trajectories-one", "sensitivity --trajectories 1",
         "argument --trajectories: '1': must be >= 2"),
    case("sensitivity-seed-float", "sensitivity --seed 2.5", "argument --seed: '2.5'"),
    case("params-unknown-option", "params --bogus", "unrecognized arguments: --bogus"),
    # files that cannot be read: named, with what is wrong and what to do
    case("track-gps-binary", "track --gps {tmp}/gps_binary.csv --hotspots {tmp}/hotspots.csv",
         "{tmp}/gps_binary.csv: not a text CSV (it is a zip archive or Excel .xlsx workbook)"),
    case("track-gps-header-only",
         "track --gps {tmp}/gps_header_only.csv --hotspots {tmp}/hotspots.csv",
         "{tmp}/gps_header_only.csv: no rows"),
    case("track-gps-empty", "track --gps {tmp}/gps_empty.csv --hotspots {tmp}/hotspots.csv",
         "{tmp}/gps_empty.csv: the GPS file is empty (0 bytes)"),
    case("track-gps-mixed-encodings",
         "track --gps {tmp}/gps_mixed.csv --hotspots {tmp}/hotspots.csv",
         "{tmp}/gps_mixed.csv: line 3: byte 0xEB is not UTF-8"),
    case("track-run-zero-byte-parquet", "track {tmp}/run_damaged",
         "{tmp}/run_damaged/gps.parquet: cannot read this table: it is empty (0 bytes)",
         "--overwrite"),
    case("report-damaged-parquet", "report {tmp}/exp_damaged",
         "{tmp}/exp_damaged/runs.parquet: cannot read this table: it is damaged", "--fresh"),
    case("trial-design-days-zero", "trial design --days 0", "argument --days: '0': must be >= 1"),
    case("trial-design-minutes-nan", "trial design --minutes nan",
         "argument --minutes: 'nan': must be a finite number"),
    case("trial-design-share-above-one", "trial design --treat-share 1.5",
         "argument --treat-share: '1.5': must be <= 1"),
    case("trial-design-unknown-design", "trial design --design stepped",
         "argument --design: invalid choice: 'stepped'"),
    case("trial-analyse-schedule-binary",
         "trial analyse --schedule {tmp}/gps_binary.csv --hotspots {tmp}/hotspots.csv "
         "--gps {tmp}/gps_ok.csv --crimes {tmp}/crimes_ok.csv",
         "{tmp}/gps_binary.csv: not a text CSV (it is a zip archive or Excel .xlsx workbook)"),
    case("trial-analyse-day-disagrees-with-date",
         "trial analyse --schedule {tmp}/schedule_days.csv --hotspots {tmp}/hotspots.csv "
         "--gps {tmp}/gps_ok.csv --crimes {tmp}/crimes_ok.csv",
         "{tmp}/schedule_days.csv, line 3, column 'day': '5' is not the day of date 2021-11-02"),
    case("plan-budget-nan", "plan --budget-hours nan",
         "argument --budget-hours: 'nan': must be a finite number"),
    case("plan-reps-zero", "plan --reps 0", "argument --reps: '0': must be >= 1"),
    case("plan-space-unknown-variable",
         "plan --quick --quiet --space {tmp}/plan_space_bad.toml --out {tmp}/plan",
         "{tmp}/plan_space_bad.toml: unknown decision variable(s) bogus"),
    case("run-out-holds-another-run", "run --days 1 --out {tmp}/run_taken",
         "{tmp}/run_taken already holds a run (policy hotspot_koper", "--overwrite"),
    case("experiment-unreachable-scheduler",
         "experiment {tmp}/exp_ok.toml --scheduler tcp://127.0.0.1:1 --out {tmp}/exp_s",
         "--scheduler tcp://127.0.0.1:1: cannot connect to a Dask scheduler"),
]


@pytest.fixture
def corpus(tmp_path, monkeypatch) -> Path:
    """The broken files in a folder; the working folder is that folder too (outputs land
    there); any attempt to simulate fails the test."""
    for name, content in FILES.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content) if isinstance(content, bytes) else path.write_text(content)
    monkeypatch.chdir(tmp_path)

    def no_simulation(self, *args, **kwargs):
        raise AssertionError("a simulation ran before the bad input was refused")

    monkeypatch.setattr("hotspot_sim.sim.model.PatrolModel.run_for", no_simulation)
    return tmp_path


def run_cli(argv: list[str], capsys) -> tuple[int, str]:
    """Exit status and stdout + stderr of ``hotspot-sim ARGV`` run in this process."""
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse usage errors
        code = exc.code
    out = capsys.readouterr()
    return code, out.out + out.err


@pytest.mark.parametrize("c", CASES, ids=[c.id for c in CASES])
def test_bad_input_is_one_clear_error(c, corpus, capsys):
    argv = [a.replace("{tmp}", str(corpus)) for a in c.argv]
    code, text = run_cli(argv, capsys)
    assert code not in (0, None), f"accepted: {' '.join(argv)}"
    assert "Traceback" not in text and "internal error" not in text, text
    for expect in c.expect:
        assert expect.replace("{tmp}", str(corpus)) in text, text


def test_every_command_is_in_the_corpus():
    """A new command gets broken inputs too."""
    from hotspot_sim.cli import build_parser

    sub = next(a for a in build_parser()._actions if a.dest == "==SUPPRESS==" and a.choices)
    commands = set(sub.choices) - {"view"}  # view starts a web server: checked by its scenario
    covered = {c.argv[0] for c in CASES}
    assert commands <= covered, f"no broken input for: {sorted(commands - covered)}"
    assert any(c.argv[:2] == ("data", "summary") for c in CASES)


# --------------------------------------------------------------------------- more hot spots
# than places (these load the embedded data, a few seconds each)


@pytest.mark.parametrize("argv, expect", [
    ("target -k 5000", "k = 5000: only"),
    ("power --hotspots 5000 --days 30 --sims 5", "--hotspots 5000: k = 5000: only"),
    ("run --days 1 --policy hotspot_koper --param k=5000",
     "policy 'hotspot_koper' parameter k = 5000: only"),
], ids=["target", "power", "run-policy"])
def test_more_hot_spots_than_places_is_an_error(argv, expect, corpus, capsys):
    code, text = run_cli(argv.split(), capsys)
    assert code == 2 and expect in text and "ask for at most" in text, text
    assert "Traceback" not in text


def test_experiment_with_more_hot_spots_than_places_stops_before_simulating(corpus, capsys):
    (corpus / "many.toml").write_text(experiment("hotspots = 5000"))
    code, text = run_cli(["experiment", str(corpus / "many.toml"), "-q"], capsys)
    assert code == 2, text
    assert f"{corpus / 'many.toml'} [experiment] hotspots = 5000: k = 5000: only" in text


# --------------------------------------------------------------------------- outputs safe to open


def test_csv_text_cells_cannot_run_as_formulas(tmp_path, capsys):
    """Officer ids and locations copied from a trial's CSVs into track's outputs are quoted."""
    start = pd.Timestamp("2021-11-05 18:00")
    pings = [{"officer": officer, "time": start + pd.Timedelta(minutes=i),
              "x": 523000 + (0 if i < 30 else 300), "y": 209000}
             for officer in ('=HYPERLINK("http://x")', "@SUM(A1)", "PC 12") for i in range(120)]
    pd.DataFrame(pings).to_csv(tmp_path / "gps.csv", index=False)
    pd.DataFrame({"hotspot_id": [1, 2], "x": [523000, 524000], "y": [209000, 209500],
                  "location": ["+1+1", "On or near High Street"]}).to_csv(
        tmp_path / "hotspots.csv", index=False)
    code, _ = run_cli(["track", "--gps", str(tmp_path / "gps.csv"), "--hotspots",
                       str(tmp_path / "hotspots.csv"), "--out", str(tmp_path / "out")], capsys)
    assert code == 0
    visits = pd.read_csv(tmp_path / "out" / "visits.csv")
    assert set(visits["officer"]) == {'\'=HYPERLINK("http://x")', "'@SUM(A1)", "PC 12"}
    spots = pd.read_csv(tmp_path / "out" / "hotspots.csv")
    assert list(spots["location"]) == ["'+1+1", "On or near High Street"]


def test_spreadsheet_safe_quotes_formula_text_only():
    from hotspot_sim.io import spreadsheet_safe

    df = pd.DataFrame({"id": ["=1+1", "-x", "\tz", "\rz", "ok", None], "n": [-1, 2, 3, 4, 5, 6],
                       "=col": pd.Categorical(["@a", "b", "b", "b", "b", "b"])})
    safe = spreadsheet_safe(df)
    assert list(safe["id"])[:5] == ["'=1+1", "'-x", "'\tz", "'\rz", "ok"]
    assert safe["id"].isna().iloc[-1]
    assert list(safe["n"]) == [-1, 2, 3, 4, 5, 6]  # numbers stay numbers
    assert list(safe.columns) == ["id", "n", "'=col"] and safe["'=col"].iloc[0] == "'@a"
    assert df["id"].iloc[0] == "=1+1"  # the caller's frame is not changed


def test_every_csv_writer_uses_the_safe_writer():
    """No module writes CSV for people except through io.write_csv."""
    package = Path(__file__).resolve().parents[1] / "hotspot_sim"
    # data/download.py mirrors police.uk's own download layout as an input file (read back as is)
    allowed = {"io.py", "download.py"}
    offenders = [p.name for p in package.rglob("*.py")
                 if p.name not in allowed and ".to_csv(" in p.read_text()]
    assert not offenders, f"use hotspot_sim.io.write_csv in {offenders}"
