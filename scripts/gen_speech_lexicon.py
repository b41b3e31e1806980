"""Generate the statement cue lexicons of rules/statements.yaml from WordNet 3.0.

Authoring time only: the service never runs this, it reads the lexicons the script wrote between
the `# BEGIN generated` / `# END generated` markers of rules/statements.yaml. Run it again after
changing the criteria below and commit both files:

    apt-get install -y wordnet-base     # Debian: WordNet 3.0 under /usr/share/wordnet
    .venv/bin/python scripts/gen_speech_lexicon.py [--wordnet DIR] [--check]

Criteria (reviewed by hand; the lists they produce are in the rule file):

* `speech_cue_verbs` (cues of reported speech, "X <verb>s (that) ..."): a verb with a sense in
  the `verb.communication` lexicographer file that takes a clause: it has WordNet's sentence
  frame 26, "Somebody ----s that CLAUSE", or an example sentence of its gloss shows the verb
  followed by "that" (the frames are incomplete: "insist" has none, its gloss has "He insisted
  that he is right").
* `quote_cue_verbs` (cues of a direct quote, "“...,” X <verb>ed"): every `speech_cue_verbs`
  word, plus the `verb.communication` verbs of a synset at most two hypernym steps below {say,
  state, tell} or one step below {talk, speak}, {joke, jest}, {exclaim}, {shout}, {whisper} or
  {mumble}: the manner-of-speaking verbs ("shouted", "quipped", "whispered").
* Both: single words only, and the qualifying sense must be a main use of the verb: one of its
  two most frequent senses (WordNet numbers senses by their SemCor frequency, `cntlist.rev`),
  or, for a verb never tagged, one whose synsets are mostly `verb.communication`. So "hold",
  "make", "show" or "order" stay out, while "add" (sense 2), "note", "insist" and rare but
  unambiguous verbs ("aver", "opine", "riposte") stay in.
* `speech_cue_nouns` (nominal cues, "X's claim that ..."): the `noun.communication` nouns that
  WordNet derives from a clause-taking sense of those verbs (derivational pointers: "state" →
  "statement", "warn" → "warning").
* `EXCLUDED` drops words that pass those tests but are not cues of a statement in news text
  (religious, teaching, betting and sensory senses, verbs of request whose complement is not
  what was said); `ADDED_CLAUSE` holds verbs of written and online speech that WordNet 3.0 (2006)
  lacks and reporting senses its criteria miss, `ADDED_QUOTE` verbs of uttering with a manner or
  feeling that are cues only beside a direct quote ("“Not again,” she sighed").
"""

from __future__ import annotations

import argparse
import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from service.authoring.lexicon_blocks import render, update

COMMUNICATION = 32  # lexicographer file number of verb.communication
NOUN_COMMUNICATION = 10  # noun.communication
THAT_CLAUSE = 26  # "Somebody ----s that CLAUSE"
QUOTE_ROOTS = {
    "say%2:32:00": 2, "talk%2:32:00": 1, "joke%2:32:00": 1, "exclaim%2:32:00": 1,
    "shout%2:32:00": 1, "whisper%2:32:00": 1, "mumble%2:32:00": 1,
}  # fmt: skip
"""Sense keys of the synsets whose hyponyms are quote cues → how many hypernym steps below."""
MAIN_SENSES = 2

EXCLUDED: dict[str, str] = {
    "pray": "religious address, not a statement",
    "preach": "religious address",
    "teach": "instruction, its clause is a lesson",
    "bet": "a wager",
    "wager": "a wager",
    "guess": "a conjecture of the writer as often as a statement",
    "suppose": "a belief ('I suppose that')",
    "wish": "a desire",
    "mind": "attention, not speech",
    "hint": "an implication, not a statement",
    "imply": "an implication",
    "connote": "meaning of a word",
    "denote": "meaning of a word",
    "signify": "meaning of a sign",
    "intimate": "mostly the adjective",
    "evidence": "mostly the noun",
    "bulletin": "mostly the noun",
    "cable": "mostly the noun",
    "wire": "mostly the noun",
    "telegraph": "mostly the noun",
    "pipe": "mostly the noun",
    "swan": "mostly the noun",
    "crow": "mostly the noun",
    "bark": "mostly the noun",
    "cackle": "mostly the noun",
    "roar": "mostly engines and crowds",
    "thunder": "mostly weather",
    "snap": "mostly breaking",
    "grunt": "mostly a sound, not a quote",
    "groan": "mostly a sound",
    "moan": "mostly a sound",
    "sigh": "mostly a sound",
    "order": "a command: its complement is an action, not a statement",
    "demand": "a request",
    "request": "a request",
    "petition": "a request",
    "advertise": "marketing",
    "publicize": "marketing",
    "record": "mostly storing, not saying",
    "file": "mostly documents",
    "lodge": "mostly lodging",
    "return": "mostly going back",
    "echo": "mostly sound",
    "question": "a doubt, not a statement of content",
    "disregard": "not speaking",
    "ignore": "not speaking",
    "snub": "not speaking",
    "will": "mostly the modal",
    "weigh": "mostly weight",
    "resolve": "a decision",
    "specialize": "not speaking",
    "exact": "mostly the adjective",
    "expose": "mostly uncovering",
    "deduce": "an inference",
    "infer": "an inference",
    "extrapolate": "an inference",
    "suspect": "a belief",
    "surmise": "a belief",
    "indicate": "mostly evidence ('data indicate')",
    "signal": "mostly evidence",
    "pretend": "a pretence",
    "feign": "a pretence",
    "dissemble": "a pretence",
    "forebode": "an omen",
    "heliograph": "a device",
    "lilt": "a tune",
    "plain": "mostly the adjective",
    "consecrate": "a rite",
    "hallow": "a rite",
    "sentence": "a court's act",
    "condemn": "a judgement, not a quote",
    "present": "mostly giving",
    "propose": "a proposal",
    "deliver": "mostly giving",
    "gulp": "swallowing",
    "bay": "a hound",
    "mouth": "mostly the noun",
    "debate": "no content clause",
    "deliberate": "no content clause",
    "moot": "mostly the adjective",
    "overwrite": "the gloss's 'that' is a determiner",
    "reshoot": "the gloss's 'that' is a determiner",
    "guesstimate": "an estimate",
    "generalize": "an inference",
    "generalise": "an inference",
}

ADDED_CLAUSE: tuple[str, ...] = (
    "tweet", "post", "blog", "email", "text",  # online speech: WordNet 3.0 (2006) lacks it
    "insist", "recall", "maintain",  # reporting senses WordNet files under verb.cognition
    "estimate",  # "officials estimated that ...": WordNet has only judging senses (verb.cognition)
    "caution", "charge", "clarify",  # verb.communication senses that lack frame 26 and a gloss
    # example, or are not among the word's two most frequent senses ("recount" and "lament" stay
    # out: "the history books will recount", "Lamenting their luck, X said" took the cue's quote)
    "continue",  # only as a quote cue: "“...,” she continued"
    "joke",  # "joked that ...": WordNet's reporting sense sits one step below talk, without frame 26
    "inform",  # "the minister informed that ...": Indian English reporting use; WordNet has only
    # "inform somebody" (frame 21)
    "submit",  # "counsel submitted that ...": a lawyer's argument in court (Indian, British reports);
    # WordNet's reporting sense of submit has no frame 26 (its "submit a report" is not a cue: a
    # cue needs a clause)
    "opine", "hint", "posit", "surmise", "reckon",  # "opined that ...", "hinted that ...": reporting
    # uses of verbs WordNet files under verb.cognition or without frame 26
)  # fmt: skip
"""Cues of reported speech (and of quotes) WordNet's criteria above miss, each for the reason given."""
ADDED_QUOTE: tuple[str, ...] = (
    "laugh", "chuckle", "sigh", "groan", "snort", "sneer", "scoff", "snap", "fume",  # a quote
    "press", "interrupt",  # pressing or cutting into a conversation: "“And the payments?” the
    # lawyer pressed", "“Wait,” she interrupted"
    "lament", "bemoan",  # "“Where do we go?” she lamented": a complaint uttered (as clause cues they
    # took a participle's object: "Lamenting their luck, X said")
    "demand", "rule",  # "“Release them,” the protesters demanded", "“The appeal fails,” the judge
    # ruled": beside a quote; their clauses are requests and findings, which other rules read
    "gush", "enthuse", "wonder", "muse",  # uttered with a manner or feeling (not "smile": its
    # participle is narration, "she hung up, smiling"):
    # "“Not again,” she sighed", "“Who pays?” he wondered"; WordNet files most of them under
    # verb.body or verb.emotion, or `EXCLUDED` keeps them out of clause cues, where they are no cue
)  # fmt: skip
"""Cues of a direct quote only, beside it: the quote rules' shapes keep their other senses out."""
ADDED: tuple[str, ...] = ADDED_CLAUSE + ADDED_QUOTE
"""Every cue added by hand (tests subtract them to check WordNet's criteria alone)."""


@dataclass(slots=True)
class Synset:
    offset: str
    lexfile: int
    words: list[tuple[str, int]]  # (lemma, lex_id)
    hypernyms: list[str]
    frames: dict[int, set[int]] = field(default_factory=dict)  # word number (0 = all) → frames
    gloss: str = ""
    derived: list[tuple[str, int, int]] = field(default_factory=list)  # noun offset, source, target


def read_synsets(data_verb: Path) -> dict[str, Synset]:
    """Parse `data.verb` (format: wndb(5WN))."""
    synsets: dict[str, Synset] = {}
    for line in data_verb.read_text(encoding="utf-8").splitlines():
        if line.startswith(" "):
            continue  # licence header
        fields = line.split("|")[0].split()
        offset, lexfile, count = fields[0], int(fields[1]), int(fields[3], 16)
        words = [(fields[4 + 2 * i].lower(), int(fields[5 + 2 * i], 16)) for i in range(count)]
        i = 4 + 2 * count
        pointers = int(fields[i])
        hypernyms = [fields[i + 2 + 4 * p] for p in range(pointers) if fields[i + 1 + 4 * p] == "@"]
        derived = [
            (fields[i + 2 + 4 * p], int(fields[i + 4 + 4 * p][:2], 16), int(fields[i + 4 + 4 * p][2:], 16))
            for p in range(pointers)
            if fields[i + 1 + 4 * p] == "+" and fields[i + 3 + 4 * p] == "n"
        ]
        i += 1 + 4 * pointers
        frames: dict[int, set[int]] = defaultdict(set)
        if i < len(fields):
            for f in range(int(fields[i])):
                frame, word = int(fields[i + 2 + 3 * f]), int(fields[i + 3 + 3 * f], 16)
                frames[word].add(frame)
        gloss = line.split("|", 1)[1] if "|" in line else ""
        synsets[offset] = Synset(offset, lexfile, words, hypernyms, dict(frames), gloss, derived)
    return synsets


def read_ranks(cntlist: Path) -> dict[str, int]:
    """Sense key (without the head fields) → the sense's number, 1 = most frequent in SemCor."""
    ranks: dict[str, int] = {}
    for line in cntlist.read_text(encoding="utf-8").splitlines():
        key, number, _ = line.split()
        ranks[key.rstrip(":")] = int(number)
    return ranks


def sense_key(synset: Synset, word: str, lex_id: int) -> str:
    return f"{word}%2:{synset.lexfile:02d}:{lex_id:02d}"


def main_sense(word: str, synset: Synset, lex_id: int, senses: list[Synset], ranks: dict[str, int]) -> bool:
    """The sense is one of the word's most frequent, or the untagged word is mostly communication."""
    rank = ranks.get(sense_key(synset, word, lex_id))
    if rank is not None:
        return rank <= MAIN_SENSES
    if any(sense_key(s, word, lid) in ranks for s, lid in ((s, _lex_id(s, word)) for s in senses)):
        return False  # the word is tagged, this sense never is
    return 2 * sum(1 for s in senses if s.lexfile == COMMUNICATION) > len(senses)


def _lex_id(synset: Synset, word: str) -> int:
    return next(lex_id for lemma, lex_id in synset.words if lemma == word)


def within(synset: Synset, roots: dict[str, int], synsets: dict[str, Synset], steps: int = 0) -> bool:
    """The synset is a root or a hyponym at most the root's allowed steps below it."""
    if synset.offset in roots and steps <= roots[synset.offset]:
        return True
    return steps < max(roots.values()) and any(within(synsets[h], roots, synsets, steps + 1) for h in synset.hypernyms)


def cue_lexicons(wordnet: Path) -> dict[str, list[str]]:
    """The generated lexicons by name, by the criteria of the module docstring."""
    synsets = read_synsets(wordnet / "data.verb")
    nouns = read_synsets(wordnet / "data.noun")
    ranks = read_ranks(wordnet / "cntlist.rev")
    by_word: dict[str, list[Synset]] = defaultdict(list)
    for synset in synsets.values():
        for lemma, _ in synset.words:
            by_word[lemma].append(synset)
    roots = {
        synset.offset: QUOTE_ROOTS[key]
        for synset in synsets.values()
        for lemma, lex_id in synset.words
        if (key := sense_key(synset, lemma, lex_id)) in QUOTE_ROOTS
    }
    clausal: set[str] = set()
    quoting: set[str] = set()
    clausal_senses: list[tuple[Synset, int]] = []
    for word, senses in by_word.items():
        if not re.fullmatch(r"[a-z]+", word) or word in EXCLUDED:
            continue
        for synset in senses:
            lex_id = _lex_id(synset, word)
            if synset.lexfile != COMMUNICATION or not main_sense(word, synset, lex_id, senses, ranks):
                continue
            number = next(n for n, (lemma, _) in enumerate(synset.words, 1) if lemma == word)
            if THAT_CLAUSE in synset.frames.get(0, set()) | synset.frames.get(number, set()):
                clausal.add(word)
                clausal_senses.append((synset, number))
            if re.search(rf"\b{word[:-1] if word.endswith('e') else word}\w* that\b", synset.gloss):
                clausal.add(word)
            if within(synset, roots, synsets):
                quoting.add(word)
    clausal |= set(ADDED_CLAUSE)
    quoting |= set(ADDED_QUOTE)
    derived = {
        nouns[offset].words[target - 1][0]
        for synset, number in clausal_senses
        for offset, source, target in synset.derived
        if source in {0, number} and nouns[offset].lexfile == NOUN_COMMUNICATION
    }
    return {
        "speech_cue_verbs": sorted(clausal),
        "quote_cue_verbs": sorted(clausal | quoting),
        "speech_cue_nouns": sorted(word for word in derived if re.fullmatch(r"[a-z]+", word) and word not in EXCLUDED),
    }


BEGIN = "  # BEGIN generated by scripts/gen_speech_lexicon.py (do not edit by hand)\n"
END = "  # END generated\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--wordnet", type=Path, default=Path("/usr/share/wordnet"))
    parser.add_argument(
        "--rules", type=Path, default=Path(__file__).resolve().parent.parent / "rules" / "statements.yaml"
    )
    parser.add_argument("--check", action="store_true", help="only report whether the rule file is up to date")
    args = parser.parse_args()
    lexicons = cue_lexicons(args.wordnet)
    body = "".join(render(name, words) for name, words in lexicons.items())
    code = update(args.rules, BEGIN, END, body, args.check)
    if code or args.check:
        return code
    print(f"{args.rules}: " + ", ".join(f"{name} {len(words)}" for name, words in lexicons.items()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
