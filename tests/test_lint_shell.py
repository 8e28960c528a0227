"""The small shell reader behind the command rules, and lint's promise never to raise."""

from __future__ import annotations

from pathlib import Path

import yaml
from drillbook.lint import lint_paths
from drillbook.lint.shell import parse_script
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

SEED = Path(__file__).parent / "fixtures" / "seed"


def names(text: str) -> list[tuple[str, int, int]]:
    return [(i.name.text, i.name.line, i.name.column) for i in parse_script(text).invocations()]


def test_pipelines_lists_and_wrappers() -> None:
    text = "FOO=1 sudo -u pg psql -c 'x' | jq . && env A=b timeout 5 curl x; exec ls"
    assert names(text) == [
        ("psql", 0, text.index("psql")),
        ("jq", 0, text.index("jq")),
        ("curl", 0, text.index("curl")),
        ("ls", 0, text.index(" ls") + 1),
    ]


def test_continuations_comments_and_multiline_quotes() -> None:
    text = (
        "# comment | not run\ncurl -X POST \\\n  -H 'a | b' x # trailing\n"
        'echo "one\ntwo; three" done'
    )
    assert names(text) == [("curl", 1, 0), ("echo", 3, 0)]


def test_heredoc_bodies_are_not_commands() -> None:
    script = parse_script("psql <<-'SQL'\nDROP TABLE x;\nSQL\nls")
    assert [(i.name.text, i.stdin_redirected) for i in script.invocations()] == [
        ("psql", True),
        ("ls", False),
    ]
    assert [h.body.text for h in script.heredocs] == ["DROP TABLE x;\n"]


def test_references_respect_quotes_escapes_and_heredocs() -> None:
    first = "echo \"$A\" '$B' \\$C ${D:-x} $1 $?"
    script = parse_script(first + "\ncat <<EOF\n$E\nEOF\ncat <<'EOF'\n$F\nEOF")
    assert [(r.name, r.raw, r.line, r.column) for r in script.references()] == [
        ("A", "$A", 0, first.index("$A")),
        ("D", "${D", 0, first.index("${D")),
        ("E", "$E", 2, 0),
    ]


def test_assigned_names() -> None:
    script = parse_script("A=1 B=2; export C=3 D; read -r E; for F in 1; do :; done; local G")
    assert script.assigned() == {"A", "B", "C", "D", "E", "F", "G"}


def test_unclosed_quotes_and_stray_operators_do_not_break_parsing() -> None:
    assert names("echo 'unclosed\nls") == [("echo", 0, 0)]
    assert names(";; | && ) (") == []


def test_function_definitions() -> None:
    script = parse_script("f() { ls; }\nf")
    assert names("f() { ls; }\nf") == [("ls", 0, 6), ("f", 1, 0)]
    assert script.functions == {"f"}


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab $'\"\\#|&;()<>{}\n-=_1\t`")), max_size=80))
def test_words_always_stand_inside_the_text(text: str) -> None:
    lines = text.split("\n")
    script = parse_script(text)
    for command in script.commands:
        for word in command.words:
            assert 0 <= word.line < len(lines)
            assert 0 <= word.column <= len(lines[word.line])
    for ref in script.references():
        assert lines[ref.line][ref.column] == "$"


def _seed_lines() -> list[str]:
    return [line for path in sorted(SEED.glob("*.yaml")) for line in path.read_text().splitlines()]


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.one_of(
        st.text(max_size=300),
        st.lists(st.sampled_from(_seed_lines()), max_size=40).map("\n".join),
    )
)
def test_lint_never_raises_on_arbitrary_text(tmp_path: Path, text: str) -> None:
    path = tmp_path / "runbooks" / "fuzz.yaml"
    path.parent.mkdir(exist_ok=True)
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    findings = lint_paths([path])
    assert all(f.rule != "internal-error" for f in findings), findings
    assert findings == sorted(findings)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(command=st.text(max_size=120), prose=st.text(max_size=40))
def test_lint_never_raises_on_arbitrary_commands(tmp_path: Path, command: str, prose: str) -> None:
    runbook = {
        "id": "fuzz",
        "title": "Fuzz",
        "severity": "P3",
        "steps": [
            {"order": 1, "description": "d", "command": command, "expectedOutcome": prose},
            {"order": 2, "description": "d", "rollbackProcedure": command, "command": "true"},
        ],
        "verification": [{"description": "v", "command": command, "expected": prose}],
    }
    path = tmp_path / "fuzz.yaml"
    text = yaml.safe_dump(runbook, allow_unicode=True)
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    findings = lint_paths([path])
    assert all(f.rule != "internal-error" for f in findings), findings
    line_count = len(text.splitlines()) + 1
    assert all(1 <= f.line <= line_count for f in findings), findings
