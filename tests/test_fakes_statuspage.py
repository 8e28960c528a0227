"""The status page stand-in over real HTTP: public status, publishing incidents, faults."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from drillbook.fakes import FakeServer, create_app
from drillbook.fakes.serving import BackgroundServer
from drillbook.faults.http import HttpFaultClient, HttpFaultSpec

API_KEY = "statuspage-key-0123456789"


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[FakeServer, httpx.Client]]:
    app = create_app("statuspage", page_name="Shop Status")
    with BackgroundServer(app) as url, httpx.Client(base_url=url, timeout=10) as client:
        yield app, client


@pytest.fixture
def http(served: tuple[FakeServer, httpx.Client]) -> httpx.Client:
    served[0].fake.reset()
    served[0].log.clear()
    served[0].book.clear()
    return served[1]


def publish(http: httpx.Client, **fields: Any) -> dict[str, Any]:
    response = http.post("/api/v2/incidents", json={"incident": fields})
    assert response.status_code == 201, response.text
    incident: dict[str, Any] = response.json()
    return incident


def status(http: httpx.Client) -> dict[str, str]:
    result: dict[str, str] = http.get("/api/v2/status.json").json()["status"]
    return result


def test_an_empty_page_is_all_systems_operational(http: httpx.Client) -> None:
    body = http.get("/api/v2/status.json").json()
    assert body["status"] == {"indicator": "none", "description": "All Systems Operational"}
    page = body["page"]
    assert page["name"] == "Shop Status" and page["time_zone"] == "Etc/UTC"
    assert {"id", "url", "updated_at"} <= set(page)
    assert http.get("/api/v2/incidents.json").json()["incidents"] == []


def test_a_published_incident_sets_the_indicator_until_resolved(http: httpx.Client) -> None:
    incident = publish(
        http, name="Checkout errors", status="investigating", impact="major", body="Looking."
    )
    assert incident["status"] == "investigating" and incident["impact"] == "major"
    assert [u["body"] for u in incident["incident_updates"]] == ["Looking."]
    assert status(http) == {"indicator": "major", "description": "Partial System Outage"}
    unresolved = http.get("/api/v2/incidents/unresolved.json").json()["incidents"]
    assert [i["id"] for i in unresolved] == [incident["id"]]

    resolved = http.patch(
        f"/api/v2/incidents/{incident['id']}",
        json={"incident": {"status": "resolved", "body": "Fixed."}},
    ).json()
    assert resolved["status"] == "resolved" and resolved["resolved_at"]
    assert [u["status"] for u in resolved["incident_updates"]] == ["resolved", "investigating"]
    assert status(http)["indicator"] == "none"
    assert http.get("/api/v2/incidents/unresolved.json").json()["incidents"] == []
    listed = http.get("/api/v2/incidents.json").json()["incidents"]
    assert [i["id"] for i in listed] == [incident["id"]]


def test_the_worst_unresolved_impact_wins(http: httpx.Client) -> None:
    publish(http, name="Slow search", impact="minor")
    assert status(http) == {"indicator": "minor", "description": "Minor Service Outage"}
    critical = publish(http, name="Site down", impact="critical")
    assert status(http) == {"indicator": "critical", "description": "Major Service Outage"}
    summary = http.get("/api/v2/summary.json").json()
    assert [i["name"] for i in summary["incidents"]] == ["Site down", "Slow search"]
    http.patch(f"/api/v2/incidents/{critical['id']}", json={"status": "resolved"})
    assert status(http)["indicator"] == "minor"


def test_an_incident_may_be_written_as_a_form_or_flat_json(http: httpx.Client) -> None:
    form = http.post(
        "/api/v2/incidents", data={"incident[name]": "Form", "incident[impact_override]": "minor"}
    )
    flat = http.post("/api/v2/incidents", json={"name": "Flat", "status": "identified"})
    assert form.status_code == flat.status_code == 201
    assert (form.json()["impact"], flat.json()["status"]) == ("minor", "identified")


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"status": "investigating"}, "Name can't be blank"),
        ({"name": "x", "status": "on fire"}, "Status is not included in the list"),
        ({"name": "x", "impact": "apocalyptic"}, "Impact is not included in the list"),
        ({"name": "x", "colour": "red"}, "unknown incident field(s) colour"),
    ],
)
def test_invalid_incidents_are_422(
    http: httpx.Client, fields: dict[str, Any], message: str
) -> None:
    response = http.post("/api/v2/incidents", json={"incident": fields})
    assert response.status_code == 422 and message in response.json()["error"]
    assert http.get("/api/v2/incidents.json").json()["incidents"] == []


def test_updating_an_unknown_incident_is_404(http: httpx.Client) -> None:
    response = http.patch("/api/v2/incidents/nope", json={"status": "resolved"})
    assert response.status_code == 404 and response.json() == {"error": "Not found"}


def test_with_an_api_key_writes_need_it_and_reads_do_not() -> None:
    app = create_app("statuspage", api_key=API_KEY)
    with BackgroundServer(app) as url, httpx.Client(base_url=url, timeout=10) as http:
        refused = http.post("/api/v2/incidents", json={"name": "x"})
        wrong = http.post(
            "/api/v2/incidents", json={"name": "x"}, headers={"Authorization": "OAuth nope"}
        )
        accepted = http.post(
            "/api/v2/incidents", json={"name": "x"}, headers={"Authorization": f"OAuth {API_KEY}"}
        )
        read = http.get("/api/v2/status.json")
        recorded = http.get("/__drillbook/requests").text
    assert refused.status_code == wrong.status_code == 401
    assert refused.json() == {"error": "Couldn't authenticate you"}
    assert accepted.status_code == 201 and read.status_code == 200
    assert API_KEY not in recorded and "OAuth ********" in recorded


def test_publishes_are_recorded_with_their_incident(http: httpx.Client) -> None:
    incident = publish(http, name="Recorded", impact="minor")
    [record] = http.get("/__drillbook/requests", params={"method": "POST"}).json()["requests"]
    assert record["body"] == {"incident": {"name": "Recorded", "impact": "minor"}}
    assert (record["status"], record["extras"]) == (201, {"incident": incident["id"]})


def test_a_status_page_outage_through_the_fault_api(http: httpx.Client) -> None:
    HttpFaultClient(str(http.base_url), client=http).add(
        HttpFaultSpec(status=503, method="GET", path="/api/v2/status.json", name="page-down")
    )
    down = http.get("/api/v2/status.json")
    assert down.status_code == 503 and down.headers["x-drillbook-fault"] == "page-down"
    assert http.post("/api/v2/incidents", json={"name": "still publishing"}).status_code == 201
    record = http.get("/__drillbook/requests").json()["requests"][0]
    assert (record["status"], record["fault"]) == (503, "page-down")
