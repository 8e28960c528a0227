"""HTTP fault specs and the FaultBook: validation, JSON round trip, matching, decisions."""

from __future__ import annotations

import random
import threading
from typing import Any

import pytest
from drillbook.faults.http.admin import handle_admin
from drillbook.faults.http.book import ActiveFault, DuplicateFaultError, FaultBook
from drillbook.faults.http.spec import (
    HttpFaultSpec,
    HttpFaultSpecError,
    default_body,
    path_matches,
)
from drillbook.formats.drill import HttpFault
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

# --- the spec ---------------------------------------------------------------------------


def test_defaults_are_a_503_with_an_error_json_on_every_request() -> None:
    spec = HttpFaultSpec()
    assert spec.status == 503
    assert spec.body == {"error": {"type": "api_error", "message": "injected by drillbook"}}
    assert (spec.delay, spec.fraction, spec.count, spec.method, spec.path) == (
        0.0,
        1.0,
        None,
        None,
        None,
    )
    assert spec.matches("DELETE", "/anything/at/all")


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        ({"status": 42}, "status 42 is not an HTTP status"),
        ({"status": "503"}, "status '503' is not an HTTP status"),
        ({"status": True}, "status True"),
        ({"fraction": 1.5}, "fraction 1.5 is not a share of requests"),
        ({"fraction": -0.1}, "fraction -0.1"),
        ({"count": 0}, "count 0 is not a number of requests"),
        ({"count": 2.0}, "count 2.0"),
        ({"delay": -1}, "delay -1 is not a duration"),
        ({"delay": "soon"}, "delay: 'soon' is not a duration"),
        ({"delay": float("inf")}, "delay inf"),
        ({"method": "GET /"}, "method 'GET /' is not an HTTP method"),
        ({"path": "v1/charges"}, "path 'v1/charges' is not a request path"),
        ({"name": "a/b"}, "name 'a/b' is not a fault name"),
        ({"stauts": 500}, "unknown field(s) stauts"),
        ({"status": None}, "needs a delay > 0"),
        ({"status": None, "delay": 1, "body": "x"}, "cannot have a body"),
        ({"body": {1j: 2}}, "cannot be sent as JSON"),
        ({"body": float("nan")}, "cannot be sent as JSON"),
    ],
)
def test_bad_fields_are_refused_with_a_message_naming_the_field(
    data: dict[str, Any], fragment: str
) -> None:
    with pytest.raises(HttpFaultSpecError) as error:
        HttpFaultSpec.from_dict(data)
    assert fragment in str(error.value)


def test_a_fault_that_does_nothing_is_refused() -> None:
    with pytest.raises(HttpFaultSpecError, match="needs a delay > 0"):
        HttpFaultSpec(status=None, body=None)


def test_a_spec_that_is_not_an_object_is_refused() -> None:
    with pytest.raises(HttpFaultSpecError, match="is a JSON object"):
        HttpFaultSpec.from_dict([503])


def test_delay_accepts_duration_strings_in_json() -> None:
    assert HttpFaultSpec.from_dict({"delay": "300ms"}).delay == pytest.approx(0.3)
    assert HttpFaultSpec.from_dict({"delay": "2s"}).delay == 2.0


def test_delay_only_fault_from_json_has_no_body() -> None:
    spec = HttpFaultSpec.from_dict({"status": None, "delay": 0.5})
    assert spec.status is None
    assert spec.body is None


def test_missing_body_is_the_default_and_null_body_is_empty() -> None:
    assert HttpFaultSpec.from_dict({}).body == default_body()
    assert HttpFaultSpec.from_dict({"body": None}).wire_body() == (b"", None)


def test_wire_body_is_json_text_or_nothing() -> None:
    assert HttpFaultSpec(body={"a": [1]}).wire_body() == (b'{"a": [1]}', "application/json")
    assert HttpFaultSpec(body="down").wire_body() == (b"down", "text/plain; charset=utf-8")
    assert HttpFaultSpec(status=204, body={"a": 1}).wire_body() == (b"", None)


def test_method_is_case_insensitive() -> None:
    spec = HttpFaultSpec(method="post")
    assert spec.method == "POST"
    assert spec.matches("post", "/x")
    assert not spec.matches("GET", "/x")


def test_from_model_carries_every_field_of_the_drill_format() -> None:
    model = HttpFault.model_validate(
        {
            "kind": "http",
            "target": "stripe",
            "status": 429,
            "body": {"error": "slow down"},
            "delay": "250ms",
            "fraction": 0.25,
            "count": 7,
            "path": "/v1/charges",
        }
    )
    spec = HttpFaultSpec.from_model(model)
    assert spec == HttpFaultSpec(
        status=429,
        body={"error": "slow down"},
        delay=0.25,
        fraction=0.25,
        count=7,
        path="/v1/charges",
    )


def test_from_model_without_body_uses_the_default_error_body() -> None:
    model = HttpFault.model_validate({"kind": "http", "target": "pagerduty"})
    assert HttpFaultSpec.from_model(model).body == default_body()


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=10),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3)
    ),
    max_leaves=8,
)

specs = st.builds(
    HttpFaultSpec,
    status=st.integers(200, 599),
    body=json_values,
    delay=st.floats(0, 60, allow_nan=False),
    fraction=st.floats(0, 1),
    count=st.none() | st.integers(1, 1000),
    method=st.none() | st.sampled_from(["GET", "post", "Delete"]),
    path=st.none() | st.sampled_from(["/", "/v1/charges", "/v1/*/refunds", "/a/[bc]"]),
    name=st.none() | st.from_regex(r"[a-z0-9][a-z0-9_.-]{0,20}", fullmatch=True),
)


@given(specs)
def test_json_form_reads_back_to_an_equal_spec(spec: HttpFaultSpec) -> None:
    assert HttpFaultSpec.from_dict(spec.to_dict()) == spec


@given(specs)
def test_active_fault_json_form_reads_back(spec: HttpFaultSpec) -> None:
    fault = ActiveFault("f", spec, spec.count, applied=3)
    assert ActiveFault.from_dict(fault.to_dict()) == fault


@pytest.mark.parametrize(
    ("pattern", "path", "expected"),
    [
        ("/v1/charges", "/v1/charges", True),
        ("/v1/charges", "/v1/charges/ch_1", True),
        ("/v1/charges/", "/v1/charges/ch_1", True),
        ("/v1/charges", "/v1/chargesX", False),
        ("/v1/charges", "/v1", False),
        ("/", "/anything", True),
        ("/v1/*/refunds", "/v1/ch_1/refunds", True),
        ("/v1/*/refunds", "/v1/ch_1/refunds/x", False),
        ("/a/[bc]", "/a/c", True),
        ("/a/[bc]", "/a/d", False),
        ("*", "/x/y", True),
    ],
)
def test_path_is_a_segment_prefix_or_a_glob(pattern: str, path: str, expected: bool) -> None:
    assert path_matches(pattern, path) is expected


# --- the book -----------------------------------------------------------------------------


def test_book_adds_lists_removes_and_clears() -> None:
    book = FaultBook()
    first = book.add(HttpFaultSpec(status=500))
    second = book.add(HttpFaultSpec(status=502, name="bad-gateway"))
    assert second == "bad-gateway"
    assert [fault.id for fault in book.list()] == [first, "bad-gateway"]
    assert book.remove(first) is True
    assert book.remove(first) is False
    assert [fault.spec.status for fault in book.list()] == [502]
    book.clear()
    assert book.list() == []
    assert book.decide("GET", "/") is None


def test_a_name_in_use_is_refused() -> None:
    book = FaultBook()
    book.add(HttpFaultSpec(name="x"))
    with pytest.raises(DuplicateFaultError, match="'x' is already active"):
        book.add(HttpFaultSpec(name="x"))


def test_generated_ids_skip_names_already_taken() -> None:
    book = FaultBook()
    book.add(HttpFaultSpec(name="fault-1"))
    assert book.add(HttpFaultSpec()) == "fault-2"


def test_decide_gives_the_oldest_matching_fault_with_its_id_as_name() -> None:
    book = FaultBook()
    book.add(HttpFaultSpec(status=500, path="/a"))
    posts = book.add(HttpFaultSpec(status=502, method="POST"))
    catch_all = book.add(HttpFaultSpec(status=503))
    assert book.decide("GET", "/a/1") == HttpFaultSpec(status=500, path="/a", name="fault-1")
    decided = book.decide("POST", "/b")
    assert decided is not None
    assert (decided.status, decided.name) == (502, posts)
    decided = book.decide("GET", "/b")
    assert decided is not None
    assert decided.name == catch_all


def test_count_faults_answer_n_times_then_leave_the_book() -> None:
    book = FaultBook()
    book.add(HttpFaultSpec(count=3))
    answers = [book.decide("GET", "/") for _ in range(5)]
    assert [answer is not None for answer in answers] == [True, True, True, False, False]
    assert book.list() == []


def test_list_shows_remaining_and_applied() -> None:
    book = FaultBook()
    fault_id = book.add(HttpFaultSpec(count=4))
    book.decide("GET", "/")
    (fault,) = book.list()
    assert (fault.id, fault.remaining, fault.applied) == (fault_id, 3, 1)


def test_seeded_fraction_is_deterministic() -> None:
    book = FaultBook(random.Random(7))
    book.add(HttpFaultSpec(fraction=0.5))
    faulted = sum(book.decide("GET", "/") is not None for _ in range(200))
    oracle = random.Random(7)
    assert faulted == sum(oracle.random() < 0.5 for _ in range(200))


def test_unseeded_fraction_hits_about_that_share() -> None:
    book = FaultBook()
    book.add(HttpFaultSpec(fraction=0.3))
    faulted = sum(book.decide("GET", "/") is not None for _ in range(4000))
    # mean 1200, standard deviation ~29: 150 is over five deviations either way
    assert abs(faulted - 1200) < 150


def test_a_fault_that_loses_its_roll_lets_the_next_one_try() -> None:
    book = FaultBook()
    book.add(HttpFaultSpec(status=500, fraction=0.0))
    book.add(HttpFaultSpec(status=502))
    decided = book.decide("GET", "/")
    assert decided is not None
    assert decided.status == 502


def test_count_is_used_up_atomically_across_threads() -> None:
    book = FaultBook()
    book.add(HttpFaultSpec(count=50))
    hits: list[int] = []
    lock = threading.Lock()

    def worker() -> None:
        mine = sum(book.decide("GET", "/") is not None for _ in range(100))
        with lock:
            hits.append(mine)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(hits) == 50


# --- the admin API logic, without a server --------------------------------------------------


def test_admin_logic_round_trip() -> None:
    book = FaultBook()
    added = handle_admin(book, "POST", "", b'{"status": 500, "name": "boom", "count": 2}')
    assert added.status == 201
    assert added.payload["id"] == "boom"
    assert added.payload["remaining"] == 2
    listed = handle_admin(book, "GET", "", b"")
    assert [fault["id"] for fault in listed.payload["faults"]] == ["boom"]
    assert handle_admin(book, "GET", "/boom", b"").payload["status"] == 500
    assert handle_admin(book, "POST", "", b'{"name": "boom"}').status == 409
    assert handle_admin(book, "DELETE", "/boom", b"").status == 204
    assert handle_admin(book, "DELETE", "/boom", b"").status == 404
    assert handle_admin(book, "PUT", "", b"").status == 405
    assert handle_admin(book, "GET", "/a/b", b"").status == 404


# --- the property: counts are honoured, removed faults never answer ------------------------

METHODS = [None, "GET", "POST"]
PATTERNS = [None, "/a", "/a/*", "/b"]
REQUEST_METHODS = ["GET", "POST"]
REQUEST_PATHS = ["/a", "/a/1", "/b", "/b/2", "/ab"]


class FaultBookMachine(RuleBasedStateMachine):
    """Random add/remove/decide sequences against a model of what the book must hold."""

    def __init__(self) -> None:
        super().__init__()
        self.book = FaultBook(random.Random(0))
        self.model: dict[str, tuple[HttpFaultSpec, int | None]] = {}
        self.decided: dict[str, int] = {}
        self.counts: dict[str, int | None] = {}
        self.removed: set[str] = set()

    @rule(
        count=st.none() | st.integers(1, 4),
        fraction=st.sampled_from([0.0, 0.5, 1.0]),
        method=st.sampled_from(METHODS),
        path=st.sampled_from(PATTERNS),
    )
    def add(self, count: int | None, fraction: float, method: str | None, path: str) -> None:
        spec = HttpFaultSpec(count=count, fraction=fraction, method=method, path=path)
        fault_id = self.book.add(spec)
        assert fault_id not in self.model
        self.model[fault_id] = (spec, count)
        self.counts[fault_id] = count
        self.decided.setdefault(fault_id, 0)

    @precondition(lambda self: bool(self.model))
    @rule(data=st.data())
    def remove_active(self, data: st.DataObject) -> None:
        fault_id = data.draw(st.sampled_from(sorted(self.model)))
        assert self.book.remove(fault_id) is True
        del self.model[fault_id]
        self.removed.add(fault_id)

    @rule(fault_id=st.sampled_from(["fault-999", "nope"]))
    def remove_unknown(self, fault_id: str) -> None:
        assert self.book.remove(fault_id) is False

    @rule(method=st.sampled_from(REQUEST_METHODS), path=st.sampled_from(REQUEST_PATHS))
    def decide(self, method: str, path: str) -> None:
        decided = self.book.decide(method, path)
        matching = [fid for fid, (spec, _) in self.model.items() if spec.matches(method, path)]
        if decided is None:
            assert not any(self.model[fid][0].fraction == 1.0 for fid in matching)
            return
        fault_id = decided.name
        assert fault_id is not None
        assert fault_id not in self.removed, "a removed fault answered"
        assert fault_id in matching, "a fault answered a request it does not match"
        earlier = matching[: matching.index(fault_id)]
        assert not any(self.model[fid][0].fraction == 1.0 for fid in earlier)
        self.decided[fault_id] += 1
        spec, remaining = self.model[fault_id]
        if remaining is not None:
            remaining -= 1
        if remaining == 0:
            del self.model[fault_id]
        else:
            self.model[fault_id] = (spec, remaining)

    @invariant()
    def counts_are_never_exceeded(self) -> None:
        for fault_id, times in self.decided.items():
            count = self.counts[fault_id]
            assert count is None or times <= count

    @invariant()
    def book_holds_what_the_model_holds(self) -> None:
        assert [(f.id, f.remaining) for f in self.book.list()] == [
            (fid, remaining) for fid, (_, remaining) in self.model.items()
        ]


FaultBookMachine.TestCase.settings = settings(
    max_examples=60, stateful_step_count=30, deadline=None
)
test_fault_book_state_machine = FaultBookMachine.TestCase
