"""Checks that an incident is whole and that its history is one the lifecycle allows, and the
reading of an incident back from ``Incident.to_dict()`` data with errors that name the field."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, TypeVar

from drillbook.incident.parts import (
    ACTION_PRIORITIES,
    SEVERITIES,
    STATUS_ORDER,
    ActionItem,
    IncidentError,
    IncidentEvent,
    IncidentStatus,
    Responder,
)

if TYPE_CHECKING:
    from drillbook.incident.model import Incident

T = TypeVar("T")


# -- consistency -------------------------------------------------------------------------------
def check_incident(incident: Incident) -> None:
    """Raise :class:`IncidentError` unless ``incident`` is one the lifecycle could produce."""
    if not isinstance(incident.id, str) or not incident.id.strip():
        raise IncidentError(f"an incident needs a non-empty id, not {incident.id!r}")
    where = f"incident {incident.id}"
    if not isinstance(incident.title, str) or not incident.title.strip():
        raise IncidentError(f"{where}: the title is empty; say in a few words what is broken")
    if incident.severity not in SEVERITIES:
        raise IncidentError(
            f"{where}: severity {incident.severity!r} is not one of {', '.join(SEVERITIES)}"
        )
    if not isinstance(incident.status, IncidentStatus):
        raise IncidentError(f"{where}: status {incident.status!r} is not an IncidentStatus")
    _check_stamps(incident, where)


def _check_stamps(incident: Incident, where: str) -> None:
    stamps = {f"{status.value}_at": incident.reached_at(status) for status in STATUS_ORDER}
    for name, when in [*stamps.items(), ("mitigated_at", incident.mitigated_at)]:
        if when is not None and when.utcoffset() is None:
            raise IncidentError(f"{where}: {name} has no UTC offset; times must be timezone-aware")
    reached = [status for status in STATUS_ORDER if incident.reached_at(status) is not None]
    if reached != _expected_path(incident.status, len(reached)):
        names = ", ".join(f"{status.value}_at" for status in reached)
        raise IncidentError(
            f"{where}: status '{incident.status.value}' does not fit the times recorded "
            f"({names}); an incident reaches each state in order, skipping only to 'resolved'"
        )
    times = [when for when in stamps.values() if when is not None]
    if times != sorted(times):
        raise IncidentError(f"{where}: the state times go backwards; each must follow the last")
    _check_mitigated(incident, where)


def _expected_path(status: IncidentStatus, count: int) -> list[IncidentStatus]:
    """The states an incident in ``status`` has passed through (``count`` of them if resolved)."""
    if status is IncidentStatus.RESOLVED and 2 <= count <= len(STATUS_ORDER):
        return [*STATUS_ORDER[: count - 1], IncidentStatus.RESOLVED]
    return list(STATUS_ORDER[: status.rank + 1])


def _check_mitigated(incident: Incident, where: str) -> None:
    verified = incident.mitigated_at
    if verified is None:
        return
    started, resolved = incident.mitigating_at, incident.resolved_at
    if started is None or verified < started or (resolved is not None and resolved < verified):
        raise IncidentError(
            f"{where}: mitigated_at must fall between mitigating_at and resolved_at"
        )


# -- reading data back -------------------------------------------------------------------------
def incident_fields(data: object) -> dict[str, Any]:
    """The constructor arguments of the incident ``data`` (``Incident.to_dict()``) describes."""
    record = _mapping(data, "incident data")
    where = f"incident {record.get('id')!r}" if "id" in record else "incident data"
    reader = _Reader(record, where)
    return {
        "id": reader.text("id"),
        "title": reader.text("title"),
        "severity": reader.choice("severity", SEVERITIES),
        "status": reader.status("status"),
        "detected_at": reader.time("detected_at"),
        **{f"{name}_at": reader.maybe_time(f"{name}_at") for name in _LATER_STATES},
        "mitigated_at": reader.maybe_time("mitigated_at"),
        "affected_services": reader.items("affected_services", _text),
        "runbook": reader.maybe_text("runbook"),
        "responders": reader.items("responders", _responder),
        "timeline": reader.items("timeline", _event),
        "root_cause": reader.maybe_text("root_cause"),
        "action_items": reader.items("action_items", _action_item),
    }


_LATER_STATES = [status.value for status in STATUS_ORDER[1:]]


class _Reader:
    """Reads typed fields from a mapping, naming the field (``timeline[2].at``) on error."""

    def __init__(self, record: Mapping[str, Any], where: str, prefix: str = "") -> None:
        self.record, self.where, self.prefix = record, where, prefix

    def fail(self, key: str, what: str) -> IncidentError:
        value = self.record.get(key)
        return IncidentError(f"{self.where}: {self.prefix}{key}: expected {what}, got {value!r}")

    def get(self, key: str, optional: bool, what: str) -> Any:
        if key not in self.record:
            if optional:
                return None
            raise IncidentError(f"{self.where}: {self.prefix}{key} is missing; expected {what}")
        return self.record[key]

    def text(self, key: str) -> str:
        value = self.get(key, False, "a string")
        if not isinstance(value, str):
            raise self.fail(key, "a string")
        return value

    def maybe_text(self, key: str) -> str | None:
        return None if self.record.get(key) is None else self.text(key)

    def flag(self, key: str) -> bool:
        value = self.get(key, True, "true or false")
        if value is None:
            return False
        if not isinstance(value, bool):
            raise self.fail(key, "true or false")
        return value

    def choice(self, key: str, choices: tuple[T, ...]) -> T:
        value = self.get(key, False, f"one of {', '.join(map(str, choices))}")
        if value not in choices:
            raise self.fail(key, f"one of {', '.join(map(str, choices))}")
        chosen: T = value
        return chosen

    def status(self, key: str) -> IncidentStatus:
        return IncidentStatus(self.choice(key, tuple(status.value for status in STATUS_ORDER)))

    def time(self, key: str) -> datetime:
        what = "an ISO 8601 time with a UTC offset"
        value = self.get(key, False, what)
        try:
            parsed = datetime.fromisoformat(value)
        except (TypeError, ValueError):
            raise self.fail(key, what) from None
        if parsed.utcoffset() is None:
            raise self.fail(key, what)
        return parsed

    def maybe_time(self, key: str) -> datetime | None:
        return None if self.record.get(key) is None else self.time(key)

    def day(self, key: str) -> date | None:
        value = self.get(key, True, "an ISO 8601 date (YYYY-MM-DD)")
        if value is None:
            return None
        try:
            return date.fromisoformat(value)
        except (TypeError, ValueError):
            raise self.fail(key, "an ISO 8601 date (YYYY-MM-DD)") from None

    def items(self, key: str, read: Callable[[_Reader, str], T]) -> list[T]:
        value = self.get(key, True, "a list")
        if value is None:
            return []
        if not isinstance(value, list):
            raise self.fail(key, "a list")
        return [read(self, f"{key}[{index}]") for index in range(len(value))]

    def nested(self, path: str) -> _Reader:
        key, index = path.rsplit("[", 1)
        item = self.record[key][int(index.rstrip("]"))]
        return _Reader(_mapping(item, f"{self.where}: {self.prefix}{path}"), self.where, path + ".")


def _mapping(value: object, where: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise IncidentError(f"{where}: expected a mapping, got {type(value).__name__}")
    return value


def _text(reader: _Reader, path: str) -> str:
    key, index = path.rsplit("[", 1)
    value = reader.record[key][int(index.rstrip("]"))]
    if not isinstance(value, str):
        raise IncidentError(f"{reader.where}: {path}: expected a string, got {value!r}")
    return value


def _responder(reader: _Reader, path: str) -> Responder:
    item = reader.nested(path)
    return Responder(name=item.text("name"), role=item.text("role"), contact=item.text("contact"))


def _event(reader: _Reader, path: str) -> IncidentEvent:
    item = reader.nested(path)
    return IncidentEvent(
        at=item.time("at"),
        kind=item.text("kind"),
        message=item.text("message"),
        actor=item.text("actor"),
    )


def _action_item(reader: _Reader, path: str) -> ActionItem:
    item = reader.nested(path)
    return ActionItem(
        action=item.text("action"),
        owner=item.text("owner"),
        due=item.day("due"),
        priority=item.choice("priority", ACTION_PRIORITIES),
        done=item.flag("done"),
    )
