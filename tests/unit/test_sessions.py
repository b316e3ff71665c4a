"""Sessions: loading built-ins and directories, validation errors naming file and field."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from cmi_sim.sessions import DEFAULT_SESSION, SessionError, list_builtin_sessions, load_session
from cmi_sim.sessions.session import _builtin_dirs
from cmi_sim.settlement import SYMBOLS
from cmi_sim.world.times import parse_utc


@pytest.fixture()
def london_dir(tmp_path: Path) -> Path:
    """A writable copy of the built-in London session."""
    target = tmp_path / "london"
    shutil.copytree(_builtin_dirs()[DEFAULT_SESSION], target)
    return target


def edit(directory: Path, old: str, new: str) -> None:
    path = directory / "session.toml"
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new, 1))


def test_builtins_list_default_first():
    assert list_builtin_sessions() == ["london-2026-02-28", "replay-sample", "synthetic"]
    assert DEFAULT_SESSION == "london-2026-02-28"


def test_london_session_has_window_hours_and_rules():
    s = load_session()
    assert s.name == "london-2026-02-28"
    assert (s.start_ns, s.end_ns) == (parse_utc("2026-02-28T12:00:00Z"), parse_utc("2026-03-01T12:00:00Z"))
    assert (s.open_ns, s.close_ns) == (parse_utc("2026-02-28T14:30:00Z"), parse_utc("2026-03-01T12:00:00Z"))
    assert dict(s.rules) == {
        "position_limit": 100, "limit_counts_resting": True, "order_volume": "remaining",
        "rate_limit": "report", "requests_per_second": 1, "self_trade": "allow", "mark": "last",
    }
    assert list(s.products) == list(SYMBOLS) and all(p > 0 for p in s.products.values())
    assert s.market["kind"] == "synthetic"


def test_london_settlement_values_are_computed_from_data():
    v = load_session().settlement_values
    assert list(v) == list(SYMBOLS)
    assert v["WX_SPOT"] == pytest.approx(4682.8)
    assert v["WX_SUM"] == pytest.approx(3277.52, abs=0.005)
    assert v["LHR_COUNT"] == 1179
    assert v["LHR_INDEX"] == pytest.approx(176.5, abs=0.05)
    # modelled tide: plausible near the live estimates (2960-3030) and above the 60 real intervals' 273.9
    assert 2800 < v["TIDE_SPOT"] < 3100
    assert 400 < v["TIDE_SWING"] < 600
    assert v["LON_ETF"] == pytest.approx(v["TIDE_SPOT"] + v["WX_SPOT"] + v["LHR_COUNT"])


def test_london_tide_fill_is_labelled_modelled():
    cov = [c for c in load_session().coverage if c.series == "tide"]
    real = [c for c in cov if c.provenance == "real"]
    assert [(c.start_ns, c.end_ns) for c in real] == [(parse_utc("2026-02-28T12:00:00Z"), parse_utc("2026-03-01T03:00:00Z"))]
    fill = [c for c in cov if c.provenance == "modelled" and c.start_ns == parse_utc("2026-03-01T03:15:00Z")]
    assert fill and fill[0].end_ns == parse_utc("2026-03-01T12:00:00Z") and "harmonic" in fill[0].note


def test_synthetic_same_seed_same_values_other_seed_new_day():
    a = load_session("synthetic", seed=5).settlement_values
    assert a == load_session("synthetic", seed=5).settlement_values
    assert a != load_session("synthetic", seed=6).settlement_values
    assert load_session("synthetic", seed=5).seed == 5


def test_session_directory_path_loads(london_dir):
    assert load_session(london_dir).settlement_values == load_session().settlement_values


def test_data_service_serves_session_world():
    s = load_session()
    status, body = s.data_service().handle(
        "GET",
        "https://environment.data.gov.uk/flood-monitoring/id/measures/0006-level-tidal_level-i-15_min-mAOD/readings?_sorted&_limit=1",
        now_ns=parse_utc("2026-02-28T13:00:00Z"),
    )
    assert status == 200 and body["items"][0]["dateTime"] == "2026-02-28T12:30:00Z"  # 30-min publication lag


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("position_limit = 100", "position_limit = -3", r"session\.toml: \[rules\]\.position_limit must be a positive integer, got -3"),
        ('mark = "last"', 'mark = "best"', r"\[rules\]\.mark must be one of last, mid"),
        ('mark = "last"', 'mark = "last"\nslippage = 2', r"\[rules\] has unknown key\(s\): slippage"),
        ("LON_FLY = 2440", "LON_FLY = 0", r"\[products\]\.LON_FLY must be a positive integer"),
        ("LON_FLY = 2440", "LON_FLY = 2440\nFOO = 1", r"\[products\] has unknown key\(s\): FOO"),
        ('start = "2026-02-28T12:00:00Z"', 'start = "yesterday"', r"\[window\]\.start must be an ISO UTC time"),
        ('close = "2026-03-01T12:00:00Z"', 'close = "2026-03-01T12:30:00Z"', r"\[trading\]\.close must be"),
        ('kind = "synthetic"\nseed = 1', 'kind = "magic"\nseed = 1', r"\[market\]\.kind must be one of none, synthetic, replay"),
        ('kind = "synthetic"\nseed = 1', 'kind = "replay"\nseed = 1', r"\[market\]\.recording is required"),
        ('kind = "files"', 'kind = "files"\ncolour = "blue"', r"\[data\] has unknown key\(s\): colour"),
        ('name = "london-2026-02-28"', 'name = "london-2026-02-28"\nextra = 1', r"the top level has unknown key\(s\): extra"),
        ("[window]", "[window\n", r"session\.toml: not valid TOML"),
    ],
)
def test_broken_manifest_raises_session_error_naming_file_and_field(london_dir, old, new, message):
    edit(london_dir, old, new)
    with pytest.raises(SessionError, match=message):
        load_session(london_dir)


def test_missing_data_file_raises_session_error_naming_file(london_dir):
    (london_dir / "weather.csv").unlink()
    with pytest.raises(SessionError, match=r"weather\.csv: file not found"):
        load_session(london_dir)


def test_broken_data_row_raises_session_error_naming_file_line_field(london_dir):
    path = london_dir / "thames.csv"
    lines = path.read_text().splitlines()
    lines[5] = lines[5].split(",")[0] + ",n/a"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(SessionError, match=r"thames\.csv: line 6: level_maod must be a number, got 'n/a'"):
        load_session(london_dir)


def test_broken_flight_record_raises_session_error_naming_record(london_dir):
    (london_dir / "flights.json").write_text('[{"direction": "up", "number": "BA 1"}]')
    with pytest.raises(SessionError, match=r"flights\.json: record 0: direction must be 'arr' or 'dep'"):
        load_session(london_dir)


def test_unknown_session_name_raises_listing_builtins():
    with pytest.raises(SessionError, match="london-2026-02-28"):
        load_session("nope")


def test_builtin_data_is_inside_the_package():
    import cmi_sim

    package = Path(cmi_sim.__file__).parent
    for directory in _builtin_dirs().values():
        assert package in directory.parents
