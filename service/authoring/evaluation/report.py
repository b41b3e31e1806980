"""Text and JSON reports of one pack's scorecard, and the differences against a baseline pack."""

from __future__ import annotations

from typing import Any

from service.authoring.evaluation.match import Counts, RoleCounts, Scorecard
from service.authoring.evaluation.run import PackRun


def _num(value: float | None) -> str:
    return "   -  " if value is None else f"{value:6.3f}"


def _delta(new: float | None, old: float | None) -> str:
    if new is None or old is None:
        return "    - "
    return f"{new - old:+6.3f}"


def type_rows(card: Scorecard) -> list[str]:
    rows = [f"{'type':<10} {'gold':>5} {'found':>5} {'tp':>5} {'fp':>5} {'ign':>5}"
            f" {'P':>6} {'R':>6} {'F1':>6}"]  # fmt: skip
    for name, c in sorted(card.types.items()):
        rows.append(
            f"{name:<10} {c.gold:5d} {c.found:5d} {c.tp:5d} {c.fp:5d} {c.ignored:5d}"
            f" {_num(c.precision)} {_num(c.recall)} {_num(c.f1)}"
        )
    return rows


def role_rows(card: Scorecard) -> list[str]:
    rows = [f"{'role (of found gold events)':<28} {'gold':>5} {'found':>5} {'pred':>5}"
            f" {'right':>5} {'R':>6} {'P':>6}"]  # fmt: skip
    for name, r in sorted(card.roles.items()):
        if not r.gold:
            continue
        rows.append(
            f"{name:<28} {r.gold:5d} {r.found:5d} {r.pred:5d} {r.correct:5d} {_num(r.recall)} {_num(r.precision)}"
        )
    return rows


def rule_rows(card: Scorecard) -> list[str]:
    rows = [f"{'rule':<44} {'tp':>5} {'fp':>5} {'ign':>5} {'found':>5} {'P':>6}"]
    for name, c in sorted(card.rules.items()):
        rows.append(f"{name:<44} {c.tp:5d} {c.fp:5d} {c.ignored:5d} {c.found:5d} {_num(c.precision)}")
    return rows


HALF_GAP = 0.05
"""Halves whose F1 (or recall, for recall-only gold) differ by more than this are flagged: the
pack fits one half, not the task."""


def half_rows(run: PackRun) -> list[str]:
    first, second = run.halves
    rows = [f"{'halves':<10} {'1st P':>6} {'1st R':>6} {'1st F1':>6} {'2nd P':>6} {'2nd R':>6} {'2nd F1':>6}"]
    for name in sorted(set(first.types) | set(second.types)):
        a, b = first.types.get(name, Counts()), second.types.get(name, Counts())
        # F1 where both halves have one, else recall (recall-only gold such as RAMS windows)
        pair = (a.f1, b.f1) if a.f1 is not None and b.f1 is not None else (a.recall, b.recall)
        gap = pair[0] is not None and pair[1] is not None and abs(pair[0] - pair[1]) > HALF_GAP
        rows.append(
            f"{name:<10} {_num(a.precision)} {_num(a.recall)} {_num(a.f1)}"
            f" {_num(b.precision)} {_num(b.recall)} {_num(b.f1)}{'  gap > 0.05' if gap else ''}"
        )
    return rows


def text_report(run: PackRun, show: int = 0) -> str:
    card = run.card
    lines = [
        f"rules {run.rules} (version {run.version}): {len(run.rule_ids)} rules,"
        f" {card.docs} gold units, {run.seconds:.1f}s extraction",
        "",
        *type_rows(card),
        "",
        *half_rows(run),
        "",
        *role_rows(card),
        "",
        "per rule (found: gold events this rule's event was paired with)",
        *rule_rows(card),
        "",
        f"must_not_match violations: {len(card.violations)}",
    ]
    lines += [f"  {v.doc} {v.rule}: {v.text!r}" for v in card.violations]
    if show:
        for title, items in (
            ("misses", card.misses),
            ("false positives", card.false_positives),
            ("role errors", card.role_errors),
        ):
            lines.append(f"{title} (first {show} of {len(items)}):")
            lines += [f"  {f.doc} {f.type} {f.rule}: {f.text!r}" for f in items[:show]]
    return "\n".join(lines)


def diff_report(run: PackRun, base: PackRun) -> str:
    """Per-type and per-rule differences: this pack minus the baseline pack."""
    lines = [f"difference: {run.rules} minus baseline {base.rules}", ""]
    lines.append(f"{'type':<10} {'dP':>6} {'dR':>6} {'dF1':>6} {'dtp':>5} {'dfp':>5} {'dfound':>6}")
    for name in sorted(set(run.card.types) | set(base.card.types)):
        new, old = run.card.types.get(name, Counts()), base.card.types.get(name, Counts())
        lines.append(
            f"{name:<10} {_delta(new.precision, old.precision)} {_delta(new.recall, old.recall)}"
            f" {_delta(new.f1, old.f1)} {new.tp - old.tp:+5d} {new.fp - old.fp:+5d}"
            f" {new.found - old.found:+6d}"
        )
    lines += ["", f"{'rule':<44} {'dtp':>5} {'dfp':>5} {'dfound':>6}  note"]
    for name in sorted(set(run.card.rules) | set(base.card.rules)):
        new, old = run.card.rules.get(name, Counts()), base.card.rules.get(name, Counts())
        note = "new" if name not in base.card.rules else "gone" if name not in run.card.rules else ""
        changed = (new.tp, new.fp, new.found) != (old.tp, old.fp, old.found)
        if changed or note:
            lines.append(f"{name:<44} {new.tp - old.tp:+5d} {new.fp - old.fp:+5d} {new.found - old.found:+6d}  {note}")
    return "\n".join(lines)


def _counts(c: Counts) -> dict[str, Any]:
    return {"gold": c.gold, "found": c.found, "tp": c.tp, "fp": c.fp, "ignored": c.ignored,
            "precision": c.precision, "recall": c.recall, "f1": c.f1}  # fmt: skip


def _roles(r: RoleCounts) -> dict[str, Any]:
    return {"gold": r.gold, "found": r.found, "pred": r.pred, "correct": r.correct,
            "recall": r.recall, "precision": r.precision}  # fmt: skip


def json_report(run: PackRun) -> dict[str, Any]:
    card = run.card
    return {
        "rules": str(run.rules),
        "version": run.version,
        "units": card.docs,
        "seconds": round(run.seconds, 3),
        "types": {name: _counts(c) for name, c in sorted(card.types.items())},
        "halves": [{name: _counts(c) for name, c in sorted(half.types.items())} for half in run.halves],
        "roles": {name: _roles(r) for name, r in sorted(card.roles.items()) if r.gold},
        "rules_breakdown": {name: _counts(c) for name, c in sorted(card.rules.items())},
        "violations": [{"doc": v.doc, "rule": v.rule, "text": v.text} for v in card.violations],
        "misses": [{"doc": f.doc, "type": f.type, "text": f.text} for f in card.misses],
        "false_positives": [
            {"doc": f.doc, "type": f.type, "rule": f.rule, "text": f.text} for f in card.false_positives
        ],
    }
