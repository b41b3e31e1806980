"""What a large rule pack costs next to spaCy: `sitrep extract` wall time on a dev file with 1,000
generated rules, the shipped pack and the one-rule pack, in one run, turns interleaved.

`python -m bench.many_rules [--rules-count 1000] [--rounds 2] [--file rams_dev.jsonl]` writes the
generated pack to a temporary directory, then runs `sitrep extract` (a fresh process: start-up,
pack loading and compiling are part of the cost, as for a user) over the file with each pack per
round and prints each pack's best time and its ratio to the one-rule pack (issue 14: generated
≤ 1.3, shipped ≤ 1.15), in wall time and in CPU time (user + system of the process, which other
work on a shared machine disturbs less). The packs are loaded through the on-disk pack cache
(`service/rules/cache.py`): the generated pack, written anew each run, misses it in the first
round, so its best time is of a cached load once there are two rounds or more. Anchors are drawn
from the words of the shipped lexicons and the frequent words of the file itself, so many rules
can fire; the seed makes the pack the same every run.
"""

from __future__ import annotations

import argparse
import random
import re
import resource
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import yaml

from bench.corpus import DEV, ROOT

WORD = re.compile(r"[a-z]{4,}")
DEPS = ("nsubj", "dobj", "amod", "prep", "compound", "pobj", "advmod", "nsubjpass")
POS = ("NOUN", "VERB", "PROPN", "ADJ")


def lexicon_words(rules: Path) -> list[str]:
    """Every single lowercase word in the shipped pack's lexicons."""
    data = yaml.safe_load((rules / "lexicons.yaml").read_text(encoding="utf-8"))
    found = {w for values in (data.get("lexicons") or {}).values() for w in values if isinstance(w, str)}
    return sorted(w for w in found if w.isalpha() and w.islower())


def text_words(path: Path, count: int) -> list[str]:
    """The `count` most frequent lowercase words (four letters or more) of a JSONL file's texts."""
    counts = Counter(WORD.findall(path.read_text(encoding="utf-8").lower()))
    return [w for w, _ in counts.most_common(count)]


def generate(count: int, lexicon: list[str], seed: int = 14) -> dict[str, Any]:
    """`count` rules of three shapes (a dependency child, a dependency descendant via `>>`, a token
    pattern), alternating, each anchored on a word of `lexicon` (as LEMMA or LOWER)."""
    rng = random.Random(seed)
    rules: list[dict[str, Any]] = []
    for n in range(count):
        word = rng.choice(lexicon)
        rule: dict[str, Any] = {"id": f"gen.r{n:04d}", "event": "attack", "priority": rng.randint(1, 30)}
        if n % 3 == 2:
            rule["pattern"] = [
                {"LOWER": word, "as": "trigger"},
                {"POS": rng.choice(POS), "as": "target"},
            ]
            rule["expand"] = {"target": "token"}
        else:
            attr = "LEMMA" if n % 2 else "LOWER"
            rule["dependency"] = [
                {"RIGHT_ID": "trigger", "RIGHT_ATTRS": {attr: word}},
                {"LEFT_ID": "trigger", "REL_OP": ">" if n % 3 == 0 else ">>", "RIGHT_ID": "target",
                 "RIGHT_ATTRS": {"DEP": rng.choice(DEPS), "POS": rng.choice(POS)}},
            ]  # fmt: skip
            rule["expand"] = {"target": rng.choice(("phrase", "entity", "token"))}
        rules.append(rule)
    return {"version": 1, "rules": rules}


def extract_seconds(rules: Path, path: Path) -> tuple[float, float]:
    """Wall time and CPU time (user + system) of one `sitrep extract` process over `path`."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "service.cli", "extract", "--rules", str(rules), str(path)],
        cwd=ROOT, check=True, stdout=subprocess.DEVNULL,
    )  # fmt: skip
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rules-count", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--file", default="rams_dev.jsonl", help="a file under the shared dev directory")
    parser.add_argument("--rules", type=Path, default=ROOT / "rules", help="the shipped pack")
    args = parser.parse_args(argv)
    path = DEV / args.file
    lexicon = sorted(set(lexicon_words(args.rules)) | set(text_words(path, 500)))
    with tempfile.TemporaryDirectory() as tmp:
        generated = Path(tmp) / "generated"
        generated.mkdir()
        pack = generate(args.rules_count, lexicon)
        (generated / "generated.yaml").write_text(yaml.safe_dump(pack, sort_keys=False), encoding="utf-8")
        packs = {"one rule": ROOT / "bench" / "rules_one_rule", f"{args.rules_count} generated": generated,
                 "shipped": args.rules}  # fmt: skip
        times: dict[str, list[float]] = {name: [] for name in packs}
        cpu: dict[str, list[float]] = {name: [] for name in packs}
        for _ in range(args.rounds):
            for name, rules in packs.items():
                wall, used = extract_seconds(rules, path)
                times[name].append(wall)
                cpu[name].append(used)
                print(f"  {name}: {wall:.2f} s ({used:.2f} s CPU)", flush=True)
    base, cpu_base = min(times["one rule"]), min(cpu["one rule"])
    print(f"{args.file}, {len(lexicon)} anchor words, best of {args.rounds}:")
    for name, seconds in times.items():
        rounds = " / ".join(f"{s:.2f}" for s in seconds)
        used = min(cpu[name])
        print(f"  {name:>16}: {min(seconds):6.2f} s ({rounds})  ratio {min(seconds) / base:.2f}"
              f"  | CPU {used:6.2f} s  ratio {used / cpu_base:.2f}")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
