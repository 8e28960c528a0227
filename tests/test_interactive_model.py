"""The responder's choices as a state machine: for any runbook of passing and failing steps
and any answers a responder may give, what ran (and in which order) matches a small model."""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from drillbook.cli import main
from drillbook.interactive import command
from drillbook.interactive.prompter import ScriptedPrompter
from hypothesis import given, settings
from hypothesis import strategies as st


@dataclass(frozen=True)
class Spec:
    """One generated step: does it fail, does it have a rollback."""

    fails: bool
    rollback: bool


class DrawingPrompter:
    """A responder who answers each question with a choice hypothesis draws."""

    def __init__(self, data: st.DataObject) -> None:
        self.data = data
        self.answers: list[str] = []

    @property
    def interactive(self) -> bool:
        return True

    def show(self, text: str) -> None:
        pass

    def choose(self, question: str, choices: Sequence[str], *, on_end: str) -> str:
        # the first choice (run, rollback, yes) is the likeliest: long runs, then an abort
        weighted = [choices[0], choices[0], *choices]
        answer = self.data.draw(st.sampled_from(weighted), label=question)
        self.answers.append(answer)
        return answer

    def ask_value(self, name: str, description: str | None, *, secret: bool) -> str | None:
        raise AssertionError("no var to ask for")


def runbook(folder: Path, specs: list[Spec]) -> Path:
    steps: list[dict[str, Any]] = []
    for order, spec in enumerate(specs, 1):
        data: dict[str, Any] = {
            "order": order,
            "description": f"step {order}",
            "command": f"echo s{order} >> log.txt" + ("; exit 1" if spec.fails else ""),
        }
        if spec.rollback:
            data["rollbackProcedure"] = f"echo undo-s{order} >> log.txt"
        steps.append(data)
    check = {"description": "check", "command": "echo check >> log.txt"}
    body = {
        "id": "model",
        "title": "Model",
        "severity": "P3",
        "steps": steps,
        "verification": [check],
    }
    path = folder / "runbook.yaml"
    path.write_text(yaml.safe_dump(body))
    return path


class Model:
    """What the runner should do, replaying the answers it was given."""

    def __init__(self, specs: list[Spec], answers: list[str]) -> None:
        self.specs = specs
        self.answers: Iterator[str] = iter(answers)
        self.log: list[str] = []
        self.completed: list[int] = []
        self.aborted = False
        self.failed = False

    def run(self) -> str:
        for order, spec in enumerate(self.specs, 1):
            if not self.step(order, spec):
                break
        if not self.aborted:
            self.log.append("check")
        if self.aborted:
            return "aborted"
        return "failed" if self.failed else "resolved"

    def step(self, order: int, spec: Spec) -> bool:
        decision = next(self.answers)
        if decision == "skip":
            return True
        if decision == "abort":
            return self.abort()
        self.log.append(f"s{order}")
        if not spec.fails:
            self.completed.append(order)
            return True
        self.failed = True
        answer = next(self.answers)
        if answer == "rollback":
            self.log.append(f"undo-s{order}")
            answer = next(self.answers)
        return self.abort() if answer == "abort" else True

    def abort(self) -> bool:
        self.aborted = True
        undo = [o for o in reversed(self.completed) if self.specs[o - 1].rollback]
        if undo and next(self.answers) == "yes":
            self.log.extend(f"undo-s{o}" for o in undo)
        return False


# steps pass twice as often as they fail and mostly have rollbacks: runs get long enough to
# abort with work to undo
specs_strategy = st.lists(
    st.builds(
        Spec,
        fails=st.sampled_from([False, False, True]),
        rollback=st.sampled_from([True, True, True, False]),
    ),
    min_size=1,
    max_size=6,
)


@settings(max_examples=40, deadline=None)
@given(specs=specs_strategy, data=st.data())
def test_what_runs_follows_the_responders_answers(specs: list[Spec], data: st.DataObject) -> None:
    prompter = DrawingPrompter(data)
    with tempfile.TemporaryDirectory() as name, pytest.MonkeyPatch.context() as patch:
        folder = Path(name)
        patch.setattr(command, "make_prompter", lambda: prompter)
        patch.setenv("DRILLBOOK_HISTORY", str(folder / "history.sqlite"))  # not the repo's
        out = folder / "t.json"
        code = main(["run", str(runbook(folder, specs)), "--timeline", str(out)])
        log = (folder / "log.txt").read_text().split() if (folder / "log.txt").exists() else []
        timeline = json.loads(out.read_text())
    model = Model(specs, prompter.answers)
    status = model.run()
    assert next(model.answers, None) is None, "the runner asked fewer questions than the model"
    assert log == model.log
    assert timeline["status"] == status
    assert code == (0 if status == "resolved" else 1)
    undone = [r["step"] for r in timeline["rollbacks"]]
    assert [f"undo-s{o}" for o in undone] == [entry for entry in log if entry.startswith("undo")]


@settings(max_examples=25, deadline=None)
@given(
    plan=st.lists(st.tuples(st.sampled_from(["run", "skip"]), st.booleans()), max_size=5),
    undo=st.booleans(),
)
def test_abort_undoes_the_completed_steps_last_first(
    plan: list[tuple[str, bool]], undo: bool
) -> None:
    """Run or skip some passing steps (with or without rollbacks), then abort at the next."""
    specs = [Spec(fails=False, rollback=rollback) for _, rollback in plan]
    specs.append(Spec(fails=False, rollback=True))
    done = [o for o, (decision, _) in enumerate(plan, 1) if decision == "run"]
    to_undo = [o for o in reversed(done) if specs[o - 1].rollback]
    answers = [decision for decision, _ in plan] + ["abort"]
    if to_undo:
        answers.append("yes" if undo else "no")
    prompter = ScriptedPrompter(answers, echo=False)
    with tempfile.TemporaryDirectory() as name, pytest.MonkeyPatch.context() as patch:
        folder = Path(name)
        patch.setattr(command, "make_prompter", lambda: prompter)
        patch.setenv("DRILLBOOK_HISTORY", str(folder / "history.sqlite"))  # not the repo's
        out = folder / "t.json"
        code = main(["run", str(runbook(folder, specs)), "--timeline", str(out)])
        log = (folder / "log.txt").read_text().split() if (folder / "log.txt").exists() else []
        rollbacks = json.loads(out.read_text())["rollbacks"]
    assert code == 1
    assert prompter.unused == []
    undone = to_undo if undo else []
    assert log == [f"s{o}" for o in done] + [f"undo-s{o}" for o in undone]
    assert [(r["step"], r["reason"]) for r in rollbacks] == [(o, "abort") for o in undone]
