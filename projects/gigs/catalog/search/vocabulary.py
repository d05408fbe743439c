"""The words a misspelt search word is corrected to, on PostgreSQL (the embedded SQLite has no typo
tolerance).

The vocabulary is every plain word of an active gig's title and tags, as typed (``english_unstemmed``,
migration 0009: lower-cased, English stop words dropped), in ``catalog_searchword`` with a GiST
trigram index. When a search's words match no gig, each word that is not itself in the vocabulary is
looked up there: the nearest words by trigrams are the candidates, and those within Elasticsearch's
``fuzziness: AUTO`` of it (edits, a swap of two neighbouring letters counting as one: none up to 2
letters, one up to 5, two beyond) are its corrections. The search then runs again with each word or
one of its corrections in place of the word (``database._text_query``).

This costs one statement over the vocabulary (tens of thousands of words) instead of a pass over
every gig's title (docs/performance.md, issue 24). A gig's words join the vocabulary when it is saved
active; words of gigs gone since stay until ``manage.py rebuild_search_words`` (a correction to them
finds nothing, and the search's other alternatives still count).
"""

from __future__ import annotations

from django.db import connection, transaction
from rapidfuzz.distance import OSA

from ..models import GigStatus

# How many of the nearest words by trigrams are checked for edits; far more than a word's few
# corrections, because trigram distance ranks a short word's swapped letters poorly.
CANDIDATES = 40
# At most this many corrections per word, the fewest edits first, so that a search word never
# becomes a long disjunction of rare words.
CORRECTIONS = 3

# A text's plain words as the vocabulary holds them: unstemmed, no stop words, letters and digits only
# (every correction becomes a term of a raw ``tsquery``, so it must carry no operator).
_WORDS_OF = "unnest(tsvector_to_array(to_tsvector('english_unstemmed', {text}))) AS word"
_PLAIN = "word ~ '^[[:alnum:]]+$' AND length(word) BETWEEN 2 AND 100"


def allowed_edits(word: str) -> int:
    """Elasticsearch's ``fuzziness: AUTO``."""
    return 0 if len(word) <= 2 else 1 if len(word) <= 5 else 2


def add_words_of(*, title: str, tags_text: str) -> None:
    with connection.cursor() as cursor:
        words = _WORDS_OF.format(text="%s || ' ' || %s")
        cursor.execute(f"INSERT INTO catalog_searchword (word) SELECT DISTINCT word FROM {words} WHERE {_PLAIN} "
                       "ON CONFLICT DO NOTHING", [title, tags_text])


def rebuild() -> int:
    """The vocabulary of the active gigs now, in place of what it held; how many words it holds."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("LOCK TABLE catalog_searchword IN EXCLUSIVE MODE")
        cursor.execute("DELETE FROM catalog_searchword")
        words = _WORDS_OF.format(text="title || ' ' || tags_text")
        cursor.execute(f"INSERT INTO catalog_searchword (word) SELECT DISTINCT word FROM catalog_gig, {words} "
                       f"WHERE status = %s AND deleted_at IS NULL AND {_PLAIN}", [GigStatus.ACTIVE])
        return cursor.rowcount


def corrections(terms: tuple[str, ...]) -> tuple[tuple[str, ...], ...] | None:
    """Per search word, the words to look for instead: itself when it is in the vocabulary, a stop
    word or too short to correct, else its nearest corrections. None when searching again could find
    nothing more: no word has a correction, or one has none near (every word must match)."""
    to_correct = [term for term in dict.fromkeys(terms) if allowed_edits(term)]
    nearest: dict[str, list[str]] = {}
    if to_correct:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT t.term, numnode(plainto_tsquery('english_unstemmed', t.term)) = 0, "
                "ARRAY(SELECT w.word FROM catalog_searchword AS w ORDER BY w.word <-> t.term LIMIT %s) "
                "FROM unnest(%s::text[]) AS t(term)", [CANDIDATES, to_correct])
            for term, is_stop_word, candidates in cursor.fetchall():
                nearest[term] = [term] if is_stop_word or term in candidates else _within_edits(term, candidates)
    alternatives = tuple(tuple(nearest.get(term, [term])) for term in terms)
    if not all(alternatives) or all(words == (term,) for term, words in zip(terms, alternatives)):
        return None
    return alternatives


def _within_edits(term: str, candidates: list[str]) -> list[str]:
    edits = allowed_edits(term)
    scored = sorted((distance, index, word) for index, word in enumerate(candidates)
                    if (distance := OSA.distance(term, word, score_cutoff=edits)) <= edits)
    return [word for _, _, word in scored[:CORRECTIONS]]
