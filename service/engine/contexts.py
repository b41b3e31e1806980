"""Document contexts: which of a pack's declared kinds of document (`contexts:`) a Doc is.

A context is a lexicon and a threshold: a document holding at least `min_words` distinct words
of it (by lemma, or by form), and at least one per `per_tokens` tokens of a long text, is of
that kind ("a match report": halftime, striker, ...). Rules that name a context (`context:`)
only run in such documents; the pack uses this to veto the attack words of sport and reviews,
whose figures of speech no single sentence gives away. Worked out once per Doc, only when such a
rule matched.
"""

from __future__ import annotations

from collections.abc import Sequence

from spacy.tokens import Doc

from service.rules.schema import DocContext

_WORDS = "sitrep.context_words"


def _doc_words(doc: Doc) -> tuple[frozenset[str], frozenset[str]]:
    """The document's lemmas and lower-case forms, worked out once; the forms include the words
    the tokenizer splits at their hyphens ("semi-final", "hat-trick", "pick-and-roll"), whole."""
    kept = doc.user_data.get(_WORDS)
    if not isinstance(kept, tuple):
        kept = doc.user_data[_WORDS] = (
            frozenset(tok.lemma_.lower() for tok in doc),
            frozenset(tok.lower_ for tok in doc) | _hyphenated(doc),
        )
    return kept


def _hyphenated(doc: Doc) -> set[str]:
    """Runs of tokens joined by hyphens with no space around them, lower-cased and whole."""
    words: set[str] = set()
    run: list[str] = []
    after_hyphen = False
    for i, tok in enumerate(doc):
        if tok.text == "-" and run and not doc[i - 1].whitespace_ and not tok.whitespace_:
            run.append("-")
            after_hyphen = True
            continue
        if not after_hyphen:
            if len(run) > 2:
                words.add("".join(run))
            run = []
        run.append(tok.lower_)
        after_hyphen = False
    if len(run) > 2:
        words.add("".join(run))
    return words


def context_words(doc: Doc, context: DocContext) -> frozenset[str]:
    """The words of `context` that `doc` holds, a word and its inflections counted once: by
    lemma, or by form where the lemmatizer leaves a listed form alone ("three-pointers")."""
    lemmas, forms = _doc_words(doc)
    return (context.lemmas & lemmas) | {form for form in context.lemmas & forms if form not in lemmas}


def present(doc: Doc, contexts: Sequence[DocContext]) -> frozenset[str]:
    """The names of the contexts `doc` is in."""
    return frozenset(c.name for c in contexts if len(context_words(doc, c)) >= c.needs(len(doc)))
