"""The pytest plugin, used as a fresh project would: the README's examples run in pytester."""

from __future__ import annotations

import re
import sys

from tests.conftest import ROOT

SECTION = "## Testing your client with pytest"


def readme_examples() -> list[str]:
    """The Python blocks of the README's pytest section, in order."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split(SECTION, 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```python\n(.*?)```", section, flags=re.S)


def test_the_readme_examples_pass_against_the_fixtures_in_a_fresh_project(pytester):
    examples = readme_examples()
    assert len(examples) == 2
    pytester.makepyfile(test_readme_first=examples[0], test_readme_second=examples[1])
    result = pytester.runpytest_subprocess("-q", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=2)


def test_the_function_fixture_resets_the_journal_between_tests(pytester):
    pytester.makepyfile(
        """
        import urllib.request

        def test_first_sends_a_request(mockgraph):
            urllib.request.urlopen(mockgraph.url("/openapi.json")).read()
            try:
                urllib.request.urlopen(mockgraph.url("/beta/nowhere"))
            except urllib.error.HTTPError as error:
                assert error.code == 404
            assert len(mockgraph.requests()) == 1

        def test_second_sees_an_empty_journal(mockgraph):
            assert mockgraph.requests() == []

        def test_the_session_server_is_the_same_one(mockgraph, mockgraph_server):
            assert mockgraph.base_url == mockgraph_server.base_url
            assert mockgraph.base_url.startswith("http://127.0.0.1:")
        """
    )
    result = pytester.runpytest_subprocess("-q", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=3)


def test_the_mockgraph_args_ini_option_reaches_the_server(pytester):
    pytester.makeini("[pytest]\nmockgraph_args = --workers 1 --config custom.toml\n")
    pytester.makefile(".toml", custom="[journal]\nsize = 2\n")
    pytester.makepyfile(
        """
        import urllib.error, urllib.request

        def test_the_config_named_in_the_ini_bounds_the_journal(mockgraph):
            for _ in range(4):
                try:
                    urllib.request.urlopen(mockgraph.url("/beta/nowhere"))
                except urllib.error.HTTPError:
                    pass
            assert len(mockgraph.requests()) == 2
        """
    )
    result = pytester.runpytest_subprocess("-q", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)


def test_loading_the_plugin_does_not_import_flask(pytester):
    """Every pytest run of a project with mockgraph installed loads the plugin; it must stay light."""
    result = pytester.run(
        sys.executable,
        "-c",
        "import sys, mockgraph.pytest_plugin; print('flask' in sys.modules, 'mockgraph.app' in sys.modules)",
    )
    assert result.stdout.lines[-1] == "False False"


def test_seed_data_is_served_and_every_test_starts_from_it_again(pytester):
    pytester.makefile(".json", events='[{"id": "seed-1", "requestType": "Assign", "userName": "Alex"}]')
    pytester.makefile(".toml", mockgraph='mode = "stateful"\nseed_data = "events.json"\n')
    pytester.makepyfile(
        """
        import json, urllib.error, urllib.request

        TOKEN = {"Authorization": "Bearer t"}

        def get(mock, key):
            request = urllib.request.Request(mock.url("/beta/privilegedOperationEvents/" + key), headers=TOKEN)
            try:
                with urllib.request.urlopen(request) as response:
                    return response.status, json.loads(response.read())
            except urllib.error.HTTPError as error:
                return error.code, None

        def test_first_deletes_the_seeded_event(mockgraph):
            status, event = get(mockgraph, "seed-1")
            assert status == 200 and event["userName"] == "Alex"
            request = urllib.request.Request(
                mockgraph.url("/beta/privilegedOperationEvents/seed-1"), method="DELETE", headers=TOKEN
            )
            assert urllib.request.urlopen(request).status == 204
            assert get(mockgraph, "seed-1")[0] == 404

        def test_second_finds_it_again_after_the_reset(mockgraph):
            assert get(mockgraph, "seed-1")[0] == 200
            assert mockgraph.seed([{"id": "seed-2"}]) == 1
            assert get(mockgraph, "seed-2")[0] == 200
        """
    )
    result = pytester.runpytest_subprocess("-q", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=2)


def test_a_server_that_cannot_start_fails_the_test_with_the_reason(pytester):
    pytester.makefile(".toml", mockgraph="[journal]\nsise = 5\n")
    pytester.makepyfile("def test_uses_the_mock(mockgraph):\n    pass\n")
    result = pytester.runpytest_subprocess("-q", "-p", "no:cacheprovider")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*mockgraph did not start*", "*unknown key 'journal.sise'*"])
