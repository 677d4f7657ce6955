"""The SQLite flavour: FTS5 over segmented text, ranked by bm25 with the title weighed most."""

from django.db.models import F
from modelsearch.backends.database.sqlite.query import (
    BM25,
    Lexeme,
    SearchQueryExpression,
    SQLiteFTSIndexEntry,
)
from modelsearch.backends.database.sqlite.sqlite import (
    ObjectIndexer,
    SQLiteAutocompleteQueryCompiler,
    SQLiteIndex,
    SQLiteSearchBackend,
    SQLiteSearchQueryCompiler,
)
from modelsearch.query import Phrase, PlainText
from modelsearch.utils import AND, OR

from weizhi.search.base import SegmentingQueryMixin, UpsertingIndexMixin
from weizhi.search.segment import segment_text

# bm25() takes one weight per column of the FTS table, in the order the table declares them.
# A weight multiplies the column's hit count, which bm25 then saturates; a title hit must be
# worth far more than any likely number of body hits to keep title matches first.
FTS_COLUMN_WEIGHTS = {"autocomplete": 1000.0, "body": 1.0, "title": 1000.0}


class WeightedBM25(BM25):
    def as_sql(self, compiler, connection, function=None, template=None):
        weights = ", ".join(str(weight) for weight in FTS_COLUMN_WEIGHTS.values())
        return f"bm25({SQLiteFTSIndexEntry._meta.db_table}, {weights})", []


class SegmentingSQLiteIndex(UpsertingIndexMixin, SQLiteIndex):
    def new_entry(self, obj, content_type_pk: int):
        indexer = ObjectIndexer(obj, self.backend)
        return self.entries.model(
            content_type_id=content_type_pk,
            object_id=indexer.id,
            title=segment_text(indexer.title),
            autocomplete=segment_text(indexer.autocomplete),
            body=segment_text(indexer.body),
        )


class SegmentingSQLiteQueryCompiler(SegmentingQueryMixin, SQLiteSearchQueryCompiler):
    def build_search_query_content(self, query, config=None):
        if not isinstance(query, (PlainText, Phrase)):
            return super().build_search_query_content(query, config=config)
        groups, is_and = self.term_groups(query)
        matches = [
            SearchQueryExpression(AND(Lexeme(term.text, prefix=term.prefix) for term in group))
            for group in groups
        ]
        return AND(matches) if is_and else OR(matches)

    def build_tsrank(self, vector, query, config=None, boost=1.0):
        # bm25() scores the row against the whole MATCH expression, whatever the query's shape.
        return WeightedBM25()

    def get_search_vectors(self):
        # One rank term: the column weights already favour the title, and the stock
        # title-length factor would let a short title outrank a match in a long one.
        return [(F("index_entry__title"), 1.0)]


class SegmentingSQLiteAutocompleteQueryCompiler(
    SegmentingSQLiteQueryCompiler, SQLiteAutocompleteQueryCompiler
):
    # Pages autocomplete on their title alone; the admin search should find the body too.
    FTS_TABLE_FIELDS = ["autocomplete", "title", "body"]


class SegmentingSQLiteSearchBackend(SQLiteSearchBackend):
    query_compiler_class = SegmentingSQLiteQueryCompiler
    autocomplete_query_compiler_class = SegmentingSQLiteAutocompleteQueryCompiler
    index_class = SegmentingSQLiteIndex
