"""`sitrep`: serve, extract, and the rule authors' check / test / explain / eval."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import cast

from google.protobuf import json_format
from google.protobuf.message import Message
from google.rpc import error_details_pb2
from spacy.language import Language

from service.api.convert import to_response
from service.api.errors import RequestError
from service.api.validation import Limits
from service.authoring.examples import run_examples
from service.authoring.shadowing import shadowed
from service.config import add_arguments, from_args
from service.engine.compiled import CompiledRuleSet, compile_rules
from service.engine.extractor import extract
from service.engine.pipeline import load_pipeline, model_components
from service.errors import E
from service.proto.sitrep.v1 import extraction_pb2 as pb
from service.rules.errors import RuleSetError
from service.rules.loader import load_rules

RULE_FLAGS = ("rules", "model")


def _load(args: argparse.Namespace) -> tuple[Language, CompiledRuleSet]:
    """Pipeline + compiled rules, or exit 1 with every rule error (one per line)."""
    nlp = load_pipeline(args.model)
    try:
        spec = load_rules(args.rules, model_components(nlp))
    except RuleSetError as exc:
        print(exc, file=sys.stderr)
        print(f"{len(exc.errors)} error(s)", file=sys.stderr)
        raise SystemExit(1) from None
    return nlp, compile_rules(spec, nlp)


def _documents(paths: list[str], bad: list[str]) -> Iterator[tuple[str, str]]:
    """(id, text) pairs: JSONL lines with {"id", "text"}, or whole plain-text files. A line that
    is not such an object is reported as `file:line: problem` in `bad` and skipped."""
    for name in paths or ["-"]:
        data = sys.stdin.read() if name == "-" else Path(name).read_text(encoding="utf-8")
        stem = "stdin" if name == "-" else Path(name).name
        if name.endswith(".jsonl") or data.lstrip().startswith("{"):
            for n, line in enumerate(data.splitlines(), 1):
                if not line.strip():
                    continue
                try:
                    record = json.loads(line)
                    yield str(record.get("id", f"{stem}:{n}")), str(record["text"])
                except (ValueError, KeyError, AttributeError, TypeError) as exc:
                    problem = f"missing {exc}" if isinstance(exc, KeyError) else str(exc).splitlines()[0]
                    bad.append(f'{name}:{n}: not a JSON object with "text" ({problem}); skipped')
        else:
            yield stem, data


def _report_bad(bad: list[str]) -> int:
    """Print the skipped lines; the exit code is 1 if there were any."""
    for line in bad:
        print(line, file=sys.stderr)
    return 1 if bad else 0


def cmd_serve(args: argparse.Namespace) -> int:
    from service.api.server import serve

    asyncio.run(serve(from_args(args)))
    return 0


def cmd_extract(args: argparse.Namespace) -> int:
    nlp, compiled = _load(args)
    bad: list[str] = []
    docs = list(_documents(args.files, bad))
    result = extract(nlp, compiled, [text for _, text in docs])
    for (doc_id, text), doc in zip(docs, result.docs, strict=True):
        response = to_response(doc_id, text, doc.events, pb.OFFSET_ENCODING_CODE_POINT, compiled.version)
        _print_json(response)
    return _report_bad(bad)


def _print_json(message: Message) -> None:
    """One line of proto3 JSON: snake_case names, enum names, every field (int64 as strings)."""
    as_dict = json_format.MessageToDict(
        message, preserving_proto_field_name=True, always_print_fields_with_no_presence=True
    )
    print(json.dumps(as_dict, ensure_ascii=False))


def cmd_call(args: argparse.Namespace) -> int:
    """`extract` through a running server: BatchExtract calls of --batch documents via sitrep_client."""
    import grpc
    from sitrep_client import Client

    def read(path: str) -> bytes | None:
        return Path(path).read_bytes() if path else None

    bad: list[str] = []
    docs = list(_documents(args.files, bad))
    with Client(
        args.server, tls=args.tls, root_certificates=read(args.tls_ca), private_key=read(args.tls_key),
        certificate_chain=read(args.tls_cert), token=args.token or None, timeout=args.timeout,
    ) as client:  # fmt: skip
        for start in range(0, len(docs), args.batch):
            try:
                reply = client.batch_extract(docs[start : start + args.batch])
            except grpc.RpcError as exc:
                failed = cast(grpc.Call, exc)  # what a stub raises is also the failed call
                print(f"{args.server}: {failed.code().name}: {failed.details()}", file=sys.stderr)
                return 1
            for result in reply.results:
                _print_json(result)
    return _report_bad(bad)


def _setting(text: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not (key and sep):
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got {text!r}")
    return key, value


def cmd_backfill(args: argparse.Namespace) -> int:
    """`extract` over an archive on Apache Spark (the `sitrep[spark]` extra), written as Parquet."""
    from service.backfill.job import Options, run
    from service.rules.loader import read_snapshot

    _, compiled = _load(args)  # every rule error at once, before any cluster work
    unknown = sorted(set(args.types or ()) - set(compiled.spec.types))
    if unknown:
        print(E.S108.format(label=", ".join(unknown), known=", ".join(compiled.spec.types)), file=sys.stderr)
        return 1
    snapshot = read_snapshot(args.rules)
    if snapshot.refused or snapshot.ignored or snapshot.version != compiled.version:
        for problem in snapshot.problems():
            print(problem, file=sys.stderr)
        print(f"{args.rules}: unreadable rule files, or changed while loading; nothing was run", file=sys.stderr)
        return 1
    options = Options(
        args.input, args.output, args.model, args.master, args.partitions,
        frozenset(args.types) if args.types else None, args.max_text_bytes, args.batch, tuple(args.conf),
    )  # fmt: skip
    for line in run(options, snapshot).lines(args.output):
        print(line)
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    nlp, compiled = _load(args)
    rules = compiled.spec.rules
    by_status = Counter(rule.status for rule in rules)
    summary = ", ".join(f"{n} {status}" for status, n in sorted(by_status.items()))
    warnings = [*compiled.spec.warnings, *shadowed(nlp, compiled)]  # W-coded: shown, never a failure
    for warning in warnings:
        print(warning)
    print(f"ok: {len(rules)} rules ({summary}) in {len(compiled.spec.files)} files, version {compiled.version}")
    if warnings:
        print(f"{len(warnings)} warning(s)")
    return 0


def cmd_test(args: argparse.Namespace) -> int:
    nlp, compiled = _load(args)
    results = run_examples(nlp, compiled)
    failed = [r for r in results if not r.passed]
    for result in failed:
        print(result.describe(), end="\n\n")
    print(f"{len(results) - len(failed)} passed, {len(failed)} failed")
    return 1 if failed else 0


def cmd_explain(args: argparse.Namespace) -> int:
    """Locally (the model loads here) or through a running server's Explain RPC (--server): the
    same code builds the same ExplainResponse either way."""
    import grpc
    from grpc_status import rpc_status

    draft = Path(args.draft).read_text(encoding="utf-8") if args.draft else ""
    request = pb.ExplainRequest(text=args.text, rule_id=args.rule or "", draft_yaml=draft)
    try:
        reply = _explain_remote(args, request) if args.server else _explain_local(args, request)
    except RequestError as error:
        print(error.message, *(f"  {v.field}: {v.description}" for v in error.violations), sep="\n", file=sys.stderr)
        return 1
    except grpc.RpcError as exc:
        failed = cast(grpc.Call, exc)  # what a stub raises is also the failed call
        print(f"{args.server}: {failed.code().name}: {failed.details()}", file=sys.stderr)
        status = rpc_status.from_call(failed)
        for detail in status.details if status else ():
            violations = error_details_pb2.BadRequest()
            if detail.Unpack(violations):
                print(
                    *(f"  {v.field}: {v.description}" for v in violations.field_violations), sep="\n", file=sys.stderr
                )
        return 1
    if args.json:
        _print_json(reply)
    else:
        print_explanation(reply)
    return 0


def _explain_local(args: argparse.Namespace, request: pb.ExplainRequest) -> pb.ExplainResponse:
    from service.api.explaining import answer, validate

    validate(request, Limits())
    if request.draft_yaml:  # the draft replaces the rules directory: only the model loads
        return answer(request, load_pipeline(args.model), None)
    nlp, compiled = _load(args)
    return answer(request, nlp, compiled)


def _explain_remote(args: argparse.Namespace, request: pb.ExplainRequest) -> pb.ExplainResponse:
    """The Explain RPC over a plaintext channel (the admin token goes with a draft)."""
    import grpc

    from service.proto.sitrep.v1 import extraction_pb2_grpc as pbg

    metadata = (("authorization", f"Bearer {args.token}"),) if args.token else ()
    with grpc.insecure_channel(args.server) as channel:
        stub = pbg.ExtractionServiceStub(channel)
        reply: pb.ExplainResponse = stub.Explain(request, metadata=metadata, timeout=args.timeout)
    return reply


def print_explanation(reply: pb.ExplainResponse) -> None:
    """The explanation as text: tokens, candidates and fates, near misses, events, examples."""
    columns = ("i", "TEXT", "LEMMA", "POS", "TAG", "DEP", "HEAD", "ENT")
    rows = [(str(t.index), t.text, t.lemma, t.pos, t.tag, t.dep, str(t.head), t.entity) for t in reply.tokens]
    widths = [max(len(c), *(len(r[i]) for r in rows)) for i, c in enumerate(columns)]
    print(f"rules: {'draft ' if reply.draft else ''}{reply.rule_set_version}\ntokens:")
    for row in [columns, *rows]:
        print("  " + "  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)))
    print("\ncandidates:" if reply.candidates else "\ncandidates: none (no rule matched)")
    for c in reply.candidates:
        fate = pb.CandidateFate.Name(c.fate).removeprefix("CANDIDATE_FATE_").lower()
        lost = f" to {c.winner_rule_id}" if c.winner_rule_id else ""
        print(f"  {c.rule_id} ({c.event_label}): {c.text!r}  [{fate}{lost}{': ' + c.reason if c.reason else ''}]")
        for role in c.roles:
            print(f"      {role.role}: {role.text!r}")
    if reply.near_misses:
        print("\nnear misses (rules that found nothing):")
        for miss in reply.near_misses:
            print(f"  {miss.rule_id}: {miss.message}")
    print(f"\nevents: {len(reply.events)}")
    for event in reply.events:
        detail = event.WhichOneof("detail")
        fields = json_format.MessageToDict(getattr(event, detail), preserving_proto_field_name=True) if detail else {}
        roles = ", ".join(f"{k}={v['text']!r}" for k, v in fields.items() if isinstance(v, dict) and "text" in v)
        print(f"  {detail} [{event.rule_id}] {roles}")
    if reply.rule_costs:
        total = sum(c.cpu_seconds for c in reply.rule_costs)
        print(f"\nrule CPU: {total * 1000:.2f} ms over {len(reply.rule_costs)} rules; costliest:")
        for cost in reply.rule_costs[:10]:
            print(f"  {cost.cpu_seconds * 1000:8.3f} ms  {cost.rule_id}")
    if reply.examples:
        passed = sum(e.passed for e in reply.examples)
        print(f"\nexamples: {passed} passed, {len(reply.examples) - passed} failed")
        for e in reply.examples:
            status = "ok  " if e.passed else "FAIL"
            print(f"  {status} {e.rule_id} (line {e.line}): {e.text!r}{'  ' + e.problem if e.problem else ''}")


def cmd_eval(args: argparse.Namespace) -> int:
    from service.authoring.evaluation import main as evaluate
    from service.authoring.evaluation.doccache import default_dir

    baseline = Path(args.baseline) if args.baseline else None
    dump = Path(args.dump) if args.dump else None
    return evaluate(Path(args.gold), Path(args.rules), baseline, args.model, as_json=args.json, limit=args.limit,
                    show=args.show, doc_cache=None if args.no_doc_cache else default_dir(), dump=dump)  # fmt: skip


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="sitrep", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="run the gRPC server")
    add_arguments(serve)
    serve.set_defaults(func=cmd_serve)

    ext = sub.add_parser("extract", help="print ExtractResponse JSON per document (no server)")
    ext.add_argument("files", nargs="*", help="text files, JSONL files ({id, text}) or - for stdin")
    add_arguments(ext, RULE_FLAGS)
    ext.set_defaults(func=cmd_extract)

    call = sub.add_parser("call", help="like extract, through a running server (BatchExtract)")
    call.add_argument("files", nargs="*", help="text files, JSONL files ({id, text}) or - for stdin")
    call.add_argument("--server", default="localhost:50051", help="host:port of the server")
    call.add_argument("--tls", action="store_true", help="TLS with the system's root certificates")
    call.add_argument("--tls-ca", default="", help="CA bundle (PEM) that signed the server certificate; implies TLS")
    call.add_argument("--tls-cert", default="", help="client certificate (PEM) for mutual TLS")
    call.add_argument("--tls-key", default="", help="client private key (PEM) for mutual TLS")
    call.add_argument("--token", default=os.environ.get("SITREP_TOKEN", ""), help="bearer token [SITREP_TOKEN]")
    call.add_argument("--timeout", type=float, default=60.0, help="deadline of each call in seconds")
    call.add_argument("--batch", type=int, default=64, help="documents per BatchExtract call (server max: 256)")
    call.set_defaults(func=cmd_call)

    bf = sub.add_parser("backfill", help="extract from an archive on Apache Spark into Parquet (sitrep[spark])")
    bf.add_argument("input", help="JSON Lines or Parquet with id, text and optional published_at")
    bf.add_argument("output", help="Parquet dataset, partitioned by rule_set_version")
    bf.add_argument("--master", help="Spark master URL (default: spark-submit's, else local[*])")
    bf.add_argument("--partitions", type=int, help="Spark partitions (default: 4 per core, or the input's)")
    bf.add_argument("--types", nargs="+", help="only these event types (built-in or declared names)")
    bf.add_argument("--batch", type=int, default=32, help="documents per nlp.pipe call in a worker")
    bf.add_argument("--conf", action="append", default=[], type=_setting, metavar="KEY=VALUE", help="Spark setting")
    add_arguments(bf, (*RULE_FLAGS, "max_text_bytes"))
    bf.set_defaults(func=cmd_backfill)

    for name, func, text in (("check", cmd_check, "validate a rules directory"),
                             ("test", cmd_test, "run every rule's examples")):  # fmt: skip
        p = sub.add_parser(name, help=text)
        p.add_argument("rules", nargs="?", type=Path, default=None, help="rules directory")
        add_arguments(p, ("model",))
        p.set_defaults(func=func)

    exp = sub.add_parser("explain", help="show tokens, matches and overlap decisions for a text")
    exp.add_argument("text")
    exp.add_argument("--rule", help="only this rule")
    exp.add_argument("--draft", help="a YAML rule file to try instead of the rules (never served)")
    exp.add_argument("--server", help="host:port of a running server: ask its Explain RPC (no model load here)")
    exp.add_argument("--token", default=os.environ.get("SITREP_ADMIN_TOKEN", ""),
                     help="admin token, for --draft on a server [SITREP_ADMIN_TOKEN]")  # fmt: skip
    exp.add_argument("--timeout", type=float, default=60.0, help="deadline of the call in seconds (--server)")
    exp.add_argument("--json", action="store_true", help="print the ExplainResponse as proto3 JSON")
    add_arguments(exp, RULE_FLAGS)
    exp.set_defaults(func=cmd_explain)

    ev = sub.add_parser("eval", help="precision/recall/F1 against gold annotations")
    ev.add_argument("gold", help="gold JSONL (seed or dev format)")
    ev.add_argument("--baseline", help="a second rules directory to compare against")
    ev.add_argument("--json", action="store_true", help="one JSON document instead of the text report")
    ev.add_argument("--limit", type=int, default=None, help="score an even sample of N gold units")
    ev.add_argument("--show", type=int, default=0, help="list the first N misses, false positives, role errors")
    ev.add_argument("--dump", help="write every event the pack found to this JSON Lines file (to sample and label)")
    ev.add_argument("--no-doc-cache", action="store_true",
                    help="parse the gold texts again (parses are cached under $SITREP_CACHE_DIR)")  # fmt: skip
    add_arguments(ev, RULE_FLAGS)
    ev.set_defaults(func=cmd_eval)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if getattr(args, "rules", "unset") is None:
        args.rules = Path("rules")
    logging.basicConfig(
        level=getattr(args, "log_level", "INFO"), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    code: int = args.func(args)
    return code


if __name__ == "__main__":
    sys.exit(main())
