"""One config file, mockgraph.toml: defaults -> file -> MOCKGRAPH_* variables -> explicit settings."""

from __future__ import annotations

import pytest

from mockgraph.cli import main
from mockgraph.config import resolve_settings
from mockgraph.exceptions import ConfigError


def write(path, text: str):
    path.write_text(text, encoding="utf-8")
    return path


def test_the_file_in_the_working_directory_is_read_and_tables_name_settings(tmp_path):
    write(
        tmp_path / "mockgraph.toml",
        'tokens = ["t1"]\n[server]\nport = 9100\nworkers = 3\n[journal]\nsize = 50\n'
        "[cors]\norigins = []\n[faults]\nseed = 3\nfailure_rate = 0.1\n",
    )
    settings = resolve_settings(environ={}, cwd=tmp_path)
    assert settings["TOKENS"] == ["t1"] and settings["SERVER_PORT"] == 9100 and settings["SERVER_WORKERS"] == 3
    assert settings["JOURNAL_SIZE"] == 50 and settings["CORS_ORIGINS"] == []
    assert settings["FAULTS"] == {"seed": 3, "failure_rate": 0.1}
    assert settings["CONFIG_FILE"] == str((tmp_path / "mockgraph.toml").resolve())


def test_environment_variables_override_the_file_and_explicit_settings_override_both(tmp_path):
    write(tmp_path / "mockgraph.toml", "[server]\nport = 9100\nworkers = 3\n[journal]\nsize = 50\n")
    environ = {"MOCKGRAPH_SERVER_PORT": "9200", "MOCKGRAPH_JOURNAL_SIZE": "60"}
    settings = resolve_settings({"JOURNAL_SIZE": 70}, environ=environ, cwd=tmp_path)
    assert (settings["SERVER_WORKERS"], settings["SERVER_PORT"], settings["JOURNAL_SIZE"]) == (3, 9200, 70)


def test_a_named_config_file_wins_over_the_working_directory(tmp_path):
    write(tmp_path / "mockgraph.toml", "[server]\nport = 9100\n")
    other = write(tmp_path / "other.toml", "[server]\nport = 9300\n")
    assert resolve_settings({"CONFIG_FILE": str(other)}, environ={}, cwd=tmp_path)["SERVER_PORT"] == 9300
    environ = {"MOCKGRAPH_CONFIG_FILE": str(other)}
    assert resolve_settings(environ=environ, cwd=tmp_path)["SERVER_PORT"] == 9300


def test_without_a_file_the_defaults_hold(tmp_path):
    settings = resolve_settings(environ={}, cwd=tmp_path)
    assert settings["SERVER_HOST"] == "127.0.0.1" and settings["JOURNAL_SIZE"] == 1000
    assert settings["FAULTS"] == {} and settings["ADMIN_ENABLED"] is True and settings["CONFIG_FILE"] is None


def test_paths_in_the_file_are_relative_to_it(tmp_path):
    (tmp_path / "conf").mkdir()
    write(tmp_path / "conf" / "mockgraph.toml", 'seed_data = "events.json"\ncontract = "api.yaml"\n')
    settings = resolve_settings({"CONFIG_FILE": str(tmp_path / "conf" / "mockgraph.toml")}, environ={})
    assert settings["SEED_DATA"] == str((tmp_path / "conf" / "events.json").resolve())
    assert settings["CONTRACT"] == str((tmp_path / "conf" / "api.yaml").resolve())


@pytest.mark.parametrize(
    "text,mentions",
    [
        ("[journal]\nsise = 5\n", "unknown key 'journal.sise'"),
        ("colour = 'red'\n", "unknown key 'colour'"),
        ("[server]\nport = '80'\n", "'server.port' must be int, not str"),
        ("[admin]\nenabled = 1\n", "'admin.enabled' must be bool, not int"),
        ("[journal]\nsize = true\n", "'journal.size' must be int, not bool"),
        ("[server\n", "not valid TOML"),
    ],
)
def test_a_bad_file_is_an_error_naming_the_key(tmp_path, text, mentions):
    path = write(tmp_path / "mockgraph.toml", text)
    with pytest.raises(ConfigError) as raised:
        resolve_settings(environ={}, cwd=tmp_path)
    assert mentions in str(raised.value) and str(path) in str(raised.value)


def test_serve_exits_2_naming_an_unknown_key(tmp_path, capsys):
    path = write(tmp_path / "bad.toml", "[faults]\nfailure_rat = 0.5\n")
    assert main(["serve", "--config", str(path)]) == 2
    assert "unknown key 'failure_rat'" in capsys.readouterr().err


def test_serve_exits_2_when_seed_data_has_no_stateful_store(tmp_path, capsys):
    events = write(tmp_path / "events.json", '[{"id": "e1"}]')
    assert main(["serve", "--seed-data", str(events), "--port", "1"]) == 2
    assert "stateful" in capsys.readouterr().err


def test_the_readme_example_config_is_valid(tmp_path):
    import re

    from mockgraph import create_app
    from mockgraph.faults import parse_faults
    from tests.conftest import ROOT

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    [example] = re.findall(r"```toml\n(.*?)```", readme.split("## Configuration", 1)[1], flags=re.S)
    settings = resolve_settings(environ={}, cwd=write(tmp_path / "mockgraph.toml", example).parent)
    operations = [op.operation_id for op in create_app().extensions["mockgraph"]["operations"]]
    plans = parse_faults(settings["FAULTS"], operations)
    assert plans.default.latency_ms == (20.0, 80.0)
    assert plans.plan_for("create_privilegedoperationevent_from_privilegedoperationevents").throttle_after == 5


@pytest.mark.parametrize(
    "variable,value,mentions",
    [
        ("MOCKGRAPH_JOURNAL_SIZE", "lots", "must be int, not str"),
        ("MOCKGRAPH_FAULTS", "failure_rate=1", "must be dict, not str"),
        ("MOCKGRAPH_CORS_ORIGINS", '"*"', "must be list, not str"),
    ],
)
def test_an_environment_variable_of_the_wrong_type_is_an_error_naming_it(tmp_path, variable, value, mentions):
    with pytest.raises(ConfigError) as raised:
        resolve_settings(environ={variable: value}, cwd=tmp_path)
    assert variable in str(raised.value) and mentions in str(raised.value)


def test_text_settings_from_the_environment_stay_text(tmp_path):
    settings = resolve_settings(
        environ={"MOCKGRAPH_SERVER_HOST": "127.0.0.1", "MOCKGRAPH_MODE": "stateful"}, cwd=tmp_path
    )
    assert settings["SERVER_HOST"] == "127.0.0.1" and settings["MODE"] == "stateful"
