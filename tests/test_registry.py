"""The event registry against the proto: every built-in type's message has exactly the fields the
registry declares, with the right message or enum type. And a new role on a built-in type is a
proto field plus a registry entry, nothing else: a copy of the service with only those two edits
validates, extracts and returns the role."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path
from types import ModuleType

from google.protobuf.descriptor import FieldDescriptor

from service.events.registry import BUILTIN, BUILTIN_TYPES, EventType
from service.proto.sitrep.v1 import extraction_pb2 as pb
from tests.server import ROOT


def _enum_values(field: FieldDescriptor) -> tuple[str, ...]:
    enum = field.enum_type
    assert enum is not None
    prefix = re.sub(r"(?<!^)(?=[A-Z])", "_", enum.name).upper() + "_"
    return tuple(v.name.removeprefix(prefix) for v in enum.values if v.number != 0)


def proto_mismatches(module: ModuleType, types: tuple[EventType, ...]) -> list[str]:
    """Every difference between the built-in `types` and the proto `module` (empty: they agree)."""
    problems: list[str] = []
    detail = {f.name: f for f in module.Event.DESCRIPTOR.oneofs_by_name["detail"].fields}
    if set(detail) != {t.name for t in types} | {"custom"}:
        problems.append(f"Event.detail {sorted(detail)} != registry types + custom")
    enum_names = {v.name for v in module.EventType.DESCRIPTOR.values if v.number != 0}
    expected = {f"EVENT_TYPE_{t.name.upper()}" for t in types} | {"EVENT_TYPE_CUSTOM"}
    if enum_names != expected:
        problems.append(f"EventType {sorted(enum_names)} != {sorted(expected)}")
    for event_type in types:
        if event_type.name not in detail:
            continue
        fields = detail[event_type.name].message_type.fields_by_name
        declared = [*event_type.roles, *event_type.quantity_roles, *(a.name for a in event_type.attributes)]
        if sorted(fields) != sorted(declared):
            problems.append(f"{event_type.name}: proto fields {sorted(fields)} != registry {sorted(declared)}")
        for name, wanted in [(r, "Mention") for r in event_type.roles] + [
            (r, "Quantity") for r in event_type.quantity_roles
        ]:
            if name in fields and (fields[name].message_type is None or fields[name].message_type.name != wanted):
                problems.append(f"{event_type.name}.{name} is not a {wanted}")
        for attribute in event_type.attributes:
            field = fields.get(attribute.name)
            if field is None or field.enum_type is None:
                problems.append(f"{event_type.name}.{attribute.name} is not an enum field")
            elif _enum_values(field) != attribute.values:
                problems.append(f"{event_type.name}.{attribute.name}: {_enum_values(field)} != {attribute.values}")
    return problems


def test_builtin_types_are_the_proto_messages_field_for_field() -> None:
    assert proto_mismatches(pb, BUILTIN_TYPES) == []


def test_a_registry_role_without_its_proto_field_is_caught() -> None:
    siege = BUILTIN["siege"]
    extended = EventType(siege.name, (*siege.roles, "duration"), siege.quantity_roles, builtin=True)
    others = tuple(t for t in BUILTIN_TYPES if t.name != "siege")
    assert proto_mismatches(pb, (*others, extended)) == [
        "siege: proto fields ['besieger', 'location', 'trapped', 'trigger']"
        " != registry ['besieger', 'duration', 'location', 'trapped', 'trigger']"
    ]
    assert proto_mismatches(pb, others)[0].startswith("Event.detail")


FIFTH_ROLE_CHECK = """
import sys
from pathlib import Path

from service.api.convert import to_response
from service.engine.compiled import compile_rules
from service.engine.extractor import extract
from service.engine.pipeline import load_pipeline
from service.events.registry import BUILTIN_TYPES
from service.proto.sitrep.v1 import extraction_pb2 as pb
from service.rules.loader import load_rules
from tests.test_registry import proto_mismatches

assert proto_mismatches(pb, BUILTIN_TYPES) == [], proto_mismatches(pb, BUILTIN_TYPES)
nlp = load_pipeline("en_core_web_sm")
compiled = compile_rules(load_rules(Path(sys.argv[1])), nlp)
text = "Rebels besieged the town of Orlen for eleven weeks."
events = extract(nlp, compiled, [text]).docs[0].events
siege = to_response("d", text, events, pb.OFFSET_ENCODING_CODE_POINT, "v").events[0].siege
print(siege.location.text, "|", siege.duration.text)
"""

DURATION_RULE = """\
version: 1
rules:
  - id: siege.besieged_for
    event: siege
    pattern:
      - {LEMMA: besiege, as: trigger}
      - {POS: DET, OP: "?", as: location}
      - {LOWER: town, as: location}
      - {LOWER: of}
      - {POS: PROPN}
      - {LOWER: for, as: duration}
      - {LIKE_NUM: true, as: duration}
      - {LOWER: weeks, as: duration}
    examples:
      - text: Troops besieged the town of Velk for six weeks.
        expect: [{location: Velk, duration: for six weeks}]
"""


def test_a_new_builtin_role_touches_only_the_proto_and_the_registry(tmp_path: Path) -> None:
    """Copy the service, add `Mention duration = 5` to Siege and "duration" to the registry's siege
    roles (the only two edits), regenerate the proto code: the copy accepts a rule assigning the
    role, runs its example and returns the role in `Siege.duration`."""
    copy = tmp_path / "copy"
    shutil.copytree(ROOT / "service", copy / "service", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(ROOT / "protos", copy / "protos")
    shutil.copytree(ROOT / "scripts", copy / "scripts", ignore=shutil.ignore_patterns("__pycache__"))
    proto = copy / "protos" / "sitrep" / "v1" / "extraction.proto"
    text = proto.read_text()
    assert text.count("  Mention trigger = 4;\n}") == 1
    proto.write_text(text.replace("  Mention trigger = 4;\n}", "  Mention trigger = 4;\n  Mention duration = 5;\n}"))
    registry = copy / "service" / "events" / "registry.py"
    source = registry.read_text()
    siege_roles = '"siege", roles=("location", "besieger", "trigger")'
    assert source.count(siege_roles) == 1
    registry.write_text(source.replace(siege_roles, '"siege", roles=("location", "besieger", "trigger", "duration")'))
    done = subprocess.run([sys.executable, str(copy / "scripts" / "gen_proto.py")], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "siege.yaml").write_text(DURATION_RULE)
    env = {**os.environ, "PYTHONPATH": f"{copy}{os.pathsep}{ROOT}"}
    run = [sys.executable, "-c", textwrap.dedent(FIFTH_ROLE_CHECK), str(rules)]
    done = subprocess.run(run, capture_output=True, text=True, env=env, cwd=copy, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "Orlen | for eleven weeks"
    tested = subprocess.run(
        [sys.executable, "-m", "service.cli", "test", str(rules)],
        capture_output=True, text=True, env=env, cwd=copy, timeout=300,
    )  # fmt: skip
    assert tested.returncode == 0, tested.stdout + tested.stderr
    # The shipped service itself refuses the role: the registry is what allows it.
    refused = subprocess.run(
        [sys.executable, "-m", "service.cli", "check", str(rules)], capture_output=True, text=True, cwd=ROOT
    )
    assert refused.returncode != 0 and "[R203] unknown role 'duration'" in refused.stdout + refused.stderr
