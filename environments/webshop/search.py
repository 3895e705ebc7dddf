"""BM25 product search on a SQLite FTS5 index, the offline stand-in for WebShop's Lucene engine.

WebShop (Yao et al., 2022, arXiv 2207.01206) ranks products for a text query with BM25 (pyserini)
and shows the top 50. Here an FTS5 table (``unicode61`` tokenizer, built into Python's sqlite3)
indexes each product's title, description and bullet features; a query's words, less Lucene's
English stop words (dropped by WebShop's pyserini analyzer too), are OR-ed, as a bag-of-words
engine does, and ranked by FTS5's BM25 with column weights title 2, description 1,
features 1, ties broken by catalog order. FTS5's ``bm25()`` is, per row D and query term t::

    score(D) = sum_t idf(t) * f(t, D) * (k1 + 1) / (f(t, D) + k1 * (1 - b + b * |D| / avgdl))

with k1 = 1.2, b = 0.75, idf(t) = ln((N - n_t + 0.5) / (n_t + 0.5)) (1e-6 when <= 0), f(t, D)
the column-weighted count of t in D, |D| the row's token count and avgdl its mean.

Speed: FTS5 evaluates ``bm25()`` row by row, about 2.5 us per matching row, i.e. several ms
for a query with common words over 10,000 products. So the index build also reads FTS5's own
index back (``fts5vocab``), precomputes each term's per-row BM25 contribution, and stores these
posting lists in the same SQLite file; a query then sums its terms' postings with numpy. The
ranking equals ``ORDER BY bm25(docs, 2, 1, 1), rowid`` (same formula, same float operations,
checked by the tests); :meth:`SearchIndex.search_fts5` runs the plain SQL for reference.
"""

from __future__ import annotations

import math
import os
import re
import sqlite3
import threading
from collections import OrderedDict
from collections.abc import Iterable
from itertools import pairwise
from pathlib import Path

import numpy as np

__all__ = ["SearchIndex", "build_index", "query_terms"]

_WORD = re.compile(r"[^\W_]+")
#: Only the first words of a very long query are used (the engine would ignore the rest).
MAX_QUERY_TERMS = 32
COLUMN_WEIGHTS = (2.0, 1.0, 1.0)
K1, B = 1.2, 0.75
_COLUMNS = ("title", "description", "features")
#: Lucene's English stop words, which WebShop's pyserini analyzer drops from queries.
STOP_WORDS = frozenset(
    (
        "a", "an", "and", "are", "as", "at", "be", "but", "by", "for", "if", "in", "into", "is",
        "it", "no", "not", "of", "on", "or", "such", "that", "the", "their", "then", "there",
        "these", "they", "this", "to", "was", "will", "with",
    )
)
_MISSING = (np.zeros(0, dtype=np.int32), np.zeros(0, dtype=np.float64))
_postings_memory: dict[str, dict[str, tuple[np.ndarray, np.ndarray]]] = {}
_memory_lock = threading.Lock()


def query_terms(text: str) -> tuple[str, ...]:
    """The distinct lower-case words of ``text`` in order, split as FTS5's tokenizer does, without
    stop words; the first :data:`MAX_QUERY_TERMS` of them."""
    seen: dict[str, None] = {}
    for word in _WORD.findall(text.lower()):
        if word not in STOP_WORDS:
            seen.setdefault(word, None)
        if len(seen) >= MAX_QUERY_TERMS:
            break
    return tuple(seen)


def _match_expression(terms: tuple[str, ...]) -> str:
    return " OR ".join('"' + t.replace('"', '""') + '"' for t in terms)


def build_index(path: str | os.PathLike[str], docs: Iterable[tuple[str, str, str]]) -> None:
    """Write the FTS5 index of ``docs`` (title, description, features) and its BM25 postings.

    Row ids are 0-based catalog positions. The file is written under a temporary name and
    renamed, so concurrent builders never expose a half-written index.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    if tmp.exists():
        tmp.unlink()
    con = sqlite3.connect(tmp)
    try:
        con.execute("PRAGMA journal_mode=OFF")
        con.execute("PRAGMA synchronous=OFF")
        con.execute("CREATE VIRTUAL TABLE docs USING fts5(title, description, features, "
                    "tokenize='unicode61 remove_diacritics 2')")
        con.executemany("INSERT INTO docs(rowid, title, description, features) "
                        "VALUES (?, ?, ?, ?)",
                        ((i, *doc) for i, doc in enumerate(docs)))
        con.execute("INSERT INTO docs(docs) VALUES('optimize')")
        _write_postings(con)
        con.commit()
    finally:
        con.close()
    os.replace(tmp, path)


def _write_postings(con: sqlite3.Connection) -> None:
    """Precompute every term's per-row BM25 contribution from FTS5's own index."""
    n_rows = con.execute("SELECT count(*) FROM docs").fetchone()[0]
    con.execute("CREATE VIRTUAL TABLE temp.vocab USING fts5vocab(main, docs, instance)")
    # one row per token occurrence, ordered by term, then row, column and offset
    rows = con.execute("SELECT term, doc, col FROM temp.vocab").fetchall()
    terms: dict[str, int] = {}
    term_id = np.fromiter((terms.setdefault(r[0], len(terms)) for r in rows), dtype=np.int64,
                          count=len(rows))
    doc = np.fromiter((r[1] for r in rows), dtype=np.int64, count=len(rows))
    col_weight = dict(zip(_COLUMNS, COLUMN_WEIGHTS, strict=True))
    weight = np.fromiter((col_weight[r[2]] for r in rows), dtype=np.float64, count=len(rows))
    del rows
    length = np.bincount(doc, minlength=n_rows).astype(np.float64)  # |D|: tokens per row
    avgdl = float(length.sum()) / n_rows if n_rows else 1.0
    # f(t, D): column-weighted counts, summed over each (term, row) run
    key = term_id * max(n_rows, 1) + doc
    starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]]) if len(key) else np.zeros(0, int)
    freq = np.add.reduceat(weight, starts) if len(key) else np.zeros(0)
    run_term, run_doc = term_id[starts], doc[starts]
    bounds = np.flatnonzero(np.r_[True, run_term[1:] != run_term[:-1], True])
    con.execute("CREATE TABLE postings(term TEXT PRIMARY KEY, docs BLOB, scores BLOB)")
    names = list(terms)
    out = []
    for lo, hi in pairwise(bounds.tolist()):
        ids, f = run_doc[lo:hi], freq[lo:hi]
        n_hit = hi - lo
        idf = math.log((n_rows - n_hit + 0.5) / (n_hit + 0.5))
        if idf <= 0.0:
            idf = 1e-6
        # the operations of FTS5's bm25(), in its order, so the floats agree exactly
        scores = idf * (f * (K1 + 1.0)) / (f + K1 * (1 - B + B * length[ids] / avgdl))
        out.append((names[run_term[lo]], ids.astype(np.int32).tobytes(), scores.tobytes()))
    con.executemany("INSERT INTO postings VALUES (?, ?, ?)", out)
    con.execute("CREATE TABLE meta(key TEXT PRIMARY KEY, value)")
    con.execute("INSERT INTO meta VALUES ('rows', ?)", (n_rows,))


class SearchIndex:
    """Read-only BM25 search over an index file written by :func:`build_index`.

    Posting lists are read from the file on first use of a term and shared by every instance
    of the process. ``search`` keeps the last ``cache_size`` queries' results (an engine-side
    result cache, as production engines have); ``cache_size=0`` disables it.
    """

    def __init__(self, path: str | os.PathLike[str], cache_size: int = 256) -> None:
        self.path = Path(path)
        uri = self.path.resolve().as_uri() + "?mode=ro"
        self._con: sqlite3.Connection | None = sqlite3.connect(
            uri, uri=True, check_same_thread=False)
        self.num_docs = int(self._con.execute(
            "SELECT value FROM meta WHERE key = 'rows'").fetchone()[0])
        with _memory_lock:
            self._postings = _postings_memory.setdefault(str(self.path.resolve()), {})
        self._cache: OrderedDict[tuple[tuple[str, ...], int], tuple[int, ...]] = OrderedDict()
        self._cache_size = cache_size

    def _term(self, term: str) -> tuple[np.ndarray, np.ndarray] | None:
        hit = self._postings.get(term)
        if hit is not None:
            return hit if hit is not _MISSING else None
        if self._con is None:
            raise RuntimeError("search on a closed SearchIndex")
        row = self._con.execute("SELECT docs, scores FROM postings WHERE term = ?",
                                (term,)).fetchone()
        if row is None:
            self._postings[term] = _MISSING
            return None
        entry = (np.frombuffer(row[0], dtype=np.int32), np.frombuffer(row[1], dtype=np.float64))
        self._postings[term] = entry
        return entry

    def search(self, terms: tuple[str, ...], limit: int = 50) -> tuple[int, ...]:
        """Catalog positions of the best ``limit`` products for ``terms`` (see query_terms)."""
        if not terms or limit < 1:
            return ()
        key = (terms, limit)
        hit = self._cache.get(key)
        if hit is not None:
            self._cache.move_to_end(key)
            return hit
        lists = [p for p in (self._term(t) for t in terms) if p is not None]
        result: tuple[int, ...] = ()
        if lists:
            # per row, contributions are summed in query-term order, as FTS5 does
            ids = np.concatenate([i for i, _ in lists]) if len(lists) > 1 else lists[0][0]
            contrib = np.concatenate([c for _, c in lists]) if len(lists) > 1 else lists[0][1]
            scores = np.bincount(ids, weights=contrib, minlength=self.num_docs)
            cand = np.flatnonzero(scores)  # every contribution is > 0
            cand_scores = scores[cand]
            if len(cand) > limit:  # keep everything tied with the limit-th best, then sort
                kth = np.partition(cand_scores, len(cand) - limit)[len(cand) - limit]
                keep = cand_scores >= kth
                cand, cand_scores = cand[keep], cand_scores[keep]
            order = np.lexsort((cand, -cand_scores))[:limit]
            result = tuple(cand[order].tolist())
        if self._cache_size:
            self._cache[key] = result
            if len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        return result

    def search_fts5(self, terms: tuple[str, ...], limit: int = 50) -> tuple[int, ...]:
        """The same ranking computed by FTS5's ``bm25()`` in SQL (slow; for reference)."""
        if not terms or limit < 1:
            return ()
        if self._con is None:
            raise RuntimeError("search on a closed SearchIndex")
        weights = ", ".join(map(str, COLUMN_WEIGHTS))
        sql = (f"SELECT rowid FROM docs WHERE docs MATCH ? ORDER BY bm25(docs, {weights}), "
               "rowid LIMIT ?")
        return tuple(r[0] for r in self._con.execute(sql, (_match_expression(terms), limit)))

    def close(self) -> None:
        if self._con is not None:
            self._con.close()
            self._con = None
