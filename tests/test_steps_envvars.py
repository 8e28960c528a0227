"""``$VAR`` expansion in HTTP requests: values from the vars, nothing left as a literal ``$X``."""

from __future__ import annotations

import pytest
from drillbook.steps.envvars import UndefinedVariable, expand, expand_json, merged_environment
from hypothesis import given
from hypothesis import strategies as st

ENV = {"HOST": "db.internal", "PORT": "5432", "EMPTY": "", "DOLLAR": "$HOST"}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("http://$HOST:$PORT/x", "http://db.internal:5432/x"),
        ("${HOST}_suffix", "db.internal_suffix"),
        ("$HOST_suffix", None),  # the name is HOST_suffix, which is undefined
        ("price: $5 and a lone $", "price: $5 and a lone $"),
        ("$$HOST", "$HOST"),
        ("[$EMPTY]", "[]"),
        ("$DOLLAR", "$HOST"),  # values are not expanded again
    ],
)
def test_expand(text: str, expected: str | None) -> None:
    if expected is None:
        with pytest.raises(UndefinedVariable):
            expand(text, ENV)
    else:
        assert expand(text, ENV) == expected


def test_undefined_variable_says_where_to_set_it() -> None:
    with pytest.raises(UndefinedVariable) as caught:
        expand("Bearer ${ADMIN_TOKEN}", ENV)
    assert str(caught.value) == (
        "variable $ADMIN_TOKEN is not set; set it in the drill's vars or the environment"
    )
    assert caught.value.name == "ADMIN_TOKEN"


def test_expand_json_expands_string_values_only() -> None:
    body = {"$HOST": ["$PORT", 3, True, None, {"k": "${HOST}"}]}
    assert expand_json(body, ENV) == {"$HOST": ["5432", 3, True, None, {"k": "db.internal"}]}


def test_vars_override_the_process_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DRILLBOOK_TEST_VAR", "from-environment")
    monkeypatch.setenv("DRILLBOOK_TEST_OTHER", "kept")
    merged = merged_environment({"DRILLBOOK_TEST_VAR": "from-vars"})
    assert merged["DRILLBOOK_TEST_VAR"] == "from-vars"
    assert merged["DRILLBOOK_TEST_OTHER"] == "kept"


@given(st.text(alphabet=st.characters(blacklist_characters="$")))
def test_text_without_dollars_is_unchanged(text: str) -> None:
    assert expand(text, ENV) == text
