"""`sitrep backfill` on Spark's own local mode (a real JVM and pyspark session, the real model):
the same events as `sitrep extract`, document by document and field by field; refused and failed
documents as status rows; an idempotent re-run; rule-set versions side by side.

The Spark tests run by `make backfill-test` (pytest -m spark; they need the spark extra and Java 17);
the import check runs with `make test`.
"""

from __future__ import annotations

import json
import math
import re
import shutil
import subprocess
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest

from service.events.registry import BUILTIN

# A JVM starts in ~10 s on a quiet 2-core machine, several times that when the cores are busy.
spark = pytest.mark.spark
slow = pytest.mark.timeout(1800)

ROOT = Path(__file__).resolve().parent.parent
SITREP = [sys.executable, "-m", "service.cli"]
DEV = ROOT.parent / "shared" / "data" / "dev"
LOCAL_ONLY = ["--conf", "spark.ui.enabled=false"]

Canonical = tuple[Any, ...]

TINY_PACK = """\
version: 1
event_types:
  - name: evacuation
    roles: [evacuees, place]
    quantity_roles: [number]
lexicons:
  evacuee_nouns: [residents, families, villagers]
rules:
  - id: evacuation.count_nouns_from
    event: evacuation
    pattern:
      - {LIKE_NUM: true, as: number}
      - {LOWER: {IN: $evacuee_nouns}, as: evacuees}
      - {LOWER: {IN: [fled, left, evacuated]}}
      - {LOWER: from}
      - {IS_TITLE: true, as: place}
    expand: {evacuees: token, place: token, number: quantity}
    examples:
      - text: Officials said 40 families fled from Dunmore overnight.
        expect: [{evacuees: families, place: Dunmore}]
"""


def _run(*args: str | Path) -> str:
    done = subprocess.run([*SITREP, *map(str, args)], cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-4000:]
    return done.stdout


def _write_jsonl(path: Path, records: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return path


def _read_rows(output: Path) -> list[dict[str, Any]]:
    import pyarrow.dataset as ds

    return list(ds.dataset(output, format="parquet", partitioning="hive").to_table().to_pylist())


def _enum_value(name: str, values: tuple[str, ...]) -> str | None:
    """`CASUALTY_KIND_KILLED` → `KILLED`; UNSPECIFIED → None."""
    return next((v for v in values if name.endswith("_" + v)), None)


def _from_response(event: dict[str, Any]) -> Canonical:
    """An event of `sitrep extract`'s JSON, in the shape the comparison uses."""
    name = event["type"].removeprefix("EVENT_TYPE_").lower()
    body = event["custom"] if name == "custom" else event[name]
    if name == "custom":
        label, roles, quantities, attributes = body["label"], body["roles"], body["quantities"], body["attributes"]
    else:
        declared = BUILTIN[name]
        label = name
        roles = {r: body[r] for r in declared.roles if r in body}
        quantities = {r: body[r] for r in declared.quantity_roles if r in body}
        attributes = {a.name: _enum_value(body[a.name], a.values) for a in declared.attributes}
        attributes = {k: v for k, v in attributes.items() if v is not None}
    mentions = {
        r: (m["text"], m["span"]["start"], m["span"]["end"], m["label"], m["resolved"]) for r, m in roles.items()
    }
    counts = {
        r: (int(q["min"]), int(q["max"]) if "max" in q else None, q["qualifier"].removeprefix("QUALIFIER_"),
            q["text"], q["span"]["start"], q["span"]["end"])
        for r, q in quantities.items()
    }  # fmt: skip
    return (event["id"], label, event["rule_id"], event["span"]["start"], event["span"]["end"], event["text"],
            event["sentence_index"], event["confidence"], event["coreferent_of"] or None, mentions, counts,
            dict(attributes))  # fmt: skip


def _from_row(row: dict[str, Any]) -> Canonical:
    mentions = {r: (m["text"], m["start"], m["end"], m["label"], m["resolved"]) for r, m in row["roles"]}
    counts = {r: (q["min"], q["max"], q["qualifier"], q["text"], q["start"], q["end"]) for r, q in row["quantities"]}
    return (row["event_id"], row["type"], row["rule_id"], row["start"], row["end"], row["text"],
            row["sentence_index"], row["confidence"], row["coreferent_of"], mentions, counts,
            dict(row["attributes"]))  # fmt: skip


def _same(a: Canonical, b: Canonical) -> bool:
    """Equal field by field; confidence travels as a proto float (32 bits) in the JSON."""
    return a[:7] == b[:7] and math.isclose(a[7], b[7], rel_tol=1e-6) and a[8:] == b[8:]


def test_only_the_cli_imports_the_backfill() -> None:
    """The serving path never needs PySpark: no package of service/ but the CLI imports backfill/."""
    from tests.test_layers import package_graph

    importers = {unit for unit, targets in package_graph().items() if "backfill" in targets}
    assert importers == {"cli"}, importers


def _dev_documents(count: int) -> list[dict[str, Any]]:
    """The first texts of each dev set, read at run time (the bench's corpus)."""
    per_file = count // 3
    docs = []
    for name in ("wikievents_dev", "rams_dev", "polnear_dev"):
        lines = (DEV / f"{name}.jsonl").read_text(encoding="utf-8").splitlines()[:per_file]
        docs += [{"id": f"{name}-{n}", "text": json.loads(line)["text"]} for n, line in enumerate(lines)]
    return docs


def _version(rules: Path, *flags: str) -> str:
    found = re.search(r"^ok: .* version ([0-9a-f]{16})$", _run("check", rules, *flags), re.MULTILINE)
    assert found, "sitrep check printed no version"
    return found.group(1)


@spark
@slow
def test_backfill_on_two_local_cores_equals_extract(tmp_path: Path) -> None:
    docs = _dev_documents(150)
    for n, doc in enumerate(docs):
        doc["published_at"] = f"2026-03-{1 + n % 28:02d}T08:00:00Z"
    oversize = "The convoy reached Harlow Bridge before dawn. " * 800  # ~37 KB, over the limit below
    refused = [{"id": "empty", "text": ""}, {"id": "oversize", "text": oversize}]
    corpus = _write_jsonl(tmp_path / "corpus.jsonl", docs + refused)
    rules = shutil.copytree(ROOT / "rules", tmp_path / "rules")  # one pack for both, whatever rules/ becomes
    expected: dict[str, list[Canonical]] = {}
    for line in _run("extract", _write_jsonl(tmp_path / "accepted.jsonl", docs), "--rules", rules).splitlines():
        response = json.loads(line)
        expected[response["document_id"]] = [_from_response(e) for e in response["events"]]

    out = tmp_path / "events"
    flags = ["--rules", rules, "--master", "local[2]", "--max-text-bytes", "30000", *LOCAL_ONLY]
    summary = _run("backfill", corpus, out, *flags)
    version = _version(rules)
    assert (out / f"rule_set_version={version}").is_dir()
    rows = _read_rows(out)
    assert {r["rule_set_version"] for r in rows} == {version}

    status = {r["document_id"]: (r["status"], r["error"]) for r in rows if r["status"] != "ok"}
    assert status == {
        "empty": ("refused", "[S101] text must not be empty"),
        "oversize": ("refused", f"[S102] text is {len(oversize)} bytes, over the limit of 30000 bytes"),
    }
    found: dict[str, list[Canonical]] = defaultdict(list)
    published: dict[str, set[str]] = defaultdict(set)
    for row in sorted((r for r in rows if r["status"] == "ok"), key=lambda r: r["event_index"]):
        found[row["document_id"]].append(_from_row(row))
        published[row["document_id"]].add(row["published_at"])
    total = sum(map(len, expected.values()))
    assert total > 100, "the corpus should exercise the pack"
    assert set(found) == {doc_id for doc_id, events in expected.items() if events}
    for doc_id, events in expected.items():
        got = found.get(doc_id, [])
        assert len(got) == len(events) and all(map(_same, got, events)), (doc_id, got, events)
    by_id = {d["id"]: d["published_at"] for d in docs}
    assert all(values == {by_id[doc_id]} for doc_id, values in published.items())

    assert f"rules {version}: {len(docs) + 2} documents in " in summary
    assert f"events: {total} (" in summary
    assert "refused: 2, failed: 0" in summary


@spark
@slow
def test_rerun_replaces_its_own_partition_and_keeps_other_versions(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    texts = [
        "Officials said 40 families fled from Dunmore overnight.",
        "By noon 300 residents left from Kellan and 12 villagers evacuated from Oster.",
        "Nothing happened in the valley.",
    ]
    table = pa.table({"id": ["a", "b", "c"], "text": texts, "published_at": ["2026-01-02", None, "2026-01-04"]})
    corpus = tmp_path / "archive.parquet"
    pq.write_table(table, corpus)
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "evacuations.yaml").write_text(TINY_PACK, encoding="utf-8")
    out = tmp_path / "events"
    flags = ["--rules", rules, "--model", "blank:en", "--master", "local[1]", *LOCAL_ONLY]

    _run("backfill", corpus, out, *flags)
    first = _read_rows(out)
    assert sorted((r["document_id"], r["event_id"], r["roles"][1][1]["text"]) for r in first) == [
        ("a", "a:0", "Dunmore"), ("b", "b:0", "Kellan"), ("b", "b:1", "Oster"),
    ]  # fmt: skip
    assert [r["quantities"][0][1]["min"] for r in sorted(first, key=lambda r: r["event_id"])] == [40, 300, 12]
    assert {r["type"] for r in first} == {"evacuation"}
    old = _version(rules, "--model", "blank:en")

    _run("backfill", corpus, out, *flags)
    again = _read_rows(out)
    key = lambda r: r["event_id"]  # noqa: E731
    assert sorted(again, key=key) == sorted(first, key=key)  # replaced, not appended
    old_files = sorted(p.name for p in (out / f"rule_set_version={old}").iterdir())

    (rules / "evacuations.yaml").write_text(TINY_PACK.replace("villagers]", "villagers, families]"), "utf-8")
    new = _version(rules, "--model", "blank:en")
    assert new != old
    _run("backfill", corpus, out, *flags)
    both = _read_rows(out)
    assert {r["rule_set_version"] for r in both} == {old, new}
    assert sorted(p.name for p in (out / f"rule_set_version={old}").iterdir()) == old_files
    assert len([r for r in both if r["rule_set_version"] == new]) == 3


@spark
def test_a_failing_document_costs_only_itself() -> None:
    """A document that makes the pipeline raise becomes a `failed` row; its batch neighbours
    still get their events (the worker retries them one by one)."""
    from spacy.language import Language
    from spacy.tokens import Doc

    from service.backfill.rows import to_batch
    from service.backfill.worker import Task, process
    from service.engine.compiled import compile_rules
    from service.engine.pipeline import load_pipeline, model_components
    from service.rules.loader import Snapshot, load_snapshot

    @Language.component("sitrep_test_refuses_sabotage")
    def refuse(doc: Doc) -> Doc:
        if "sabotage" in doc.text:
            raise ValueError("component refused the text")
        return doc

    nlp = load_pipeline("blank:en")
    nlp.add_pipe("sitrep_test_refuses_sabotage")
    spec = load_snapshot(Snapshot("mem", (("p.yaml", TINY_PACK.encode()),)), model_components(nlp))
    compiled = compile_rules(spec, nlp)
    task = Task("unused", spec.version, "blank:en", None, 100, 8)
    ids = ["ok1", "bad", "ok2", "big", None]
    texts = ["Then 9 villagers fled from Arrow.", "Word of sabotage spread.", "Then 5 families left from Brill.",
             "x" * 101, "An id-less line."]  # fmt: skip
    rows = process(nlp, compiled, task, ids, texts, [None] * 5)
    by_doc = {(r["document_id"], r["status"]): r for r in rows}
    assert set(by_doc) == {("ok1", "ok"), ("bad", "failed"), ("ok2", "ok"), ("big", "refused"), (None, "refused")}
    assert by_doc[("bad", "failed")]["error"] == "ValueError: component refused the text"
    assert by_doc[("ok2", "ok")]["roles"][1][1]["text"] == "Brill"
    assert to_batch(rows).num_rows == 5
