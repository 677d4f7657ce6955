"""The PostgreSQL flavour: tsvectors built from segmented text, with the stock ranking."""

from django.contrib.postgres.search import SearchQuery
from modelsearch.backends.database.postgres.postgres import (
    ObjectIndexer,
    PostgresAutocompleteQueryCompiler,
    PostgresIndex,
    PostgresSearchBackend,
    PostgresSearchQueryCompiler,
)
from modelsearch.backends.database.postgres.query import Lexeme
from modelsearch.query import Phrase, PlainText
from modelsearch.utils import AND, OR

from weizhi.search.base import SegmentingQueryMixin, UpsertingIndexMixin
from weizhi.search.segment import segment_text

# Segmentation has already cut the words; "simple" only lowercases them, where a language
# configuration (the server default is often english) would also stem and drop stop words.
TEXT_SEARCH_CONFIG = "simple"


class SegmentingIndexer(ObjectIndexer):
    def as_vector(self, texts, for_autocomplete=False):
        segmented = [(segment_text(text), weight) for text, weight in texts]
        return super().as_vector(segmented, for_autocomplete=for_autocomplete)


class SegmentingPostgresIndex(UpsertingIndexMixin, PostgresIndex):
    entry_fields = (*UpsertingIndexMixin.entry_fields, "title_text", "body_text")

    def new_entry(self, obj, content_type_pk: int):
        # title_text and body_text stay unsegmented: they serve the stock fuzzy search.
        indexer = SegmentingIndexer(obj, self.backend)
        return self.entries.model(
            content_type_id=content_type_pk,
            object_id=indexer.id,
            title=indexer.title,
            autocomplete=indexer.autocomplete,
            body=indexer.body,
            title_text=indexer.title_text,
            body_text=indexer.body_text,
        )


class SegmentingPostgresQueryCompiler(SegmentingQueryMixin, PostgresSearchQueryCompiler):
    def build_tsquery_content(self, query, config=None, invert=False):
        if not isinstance(query, (PlainText, Phrase)):
            return super().build_tsquery_content(query, config=config, invert=invert)
        groups, is_and = self.term_groups(query)
        # Under a Not every term is negated and every operator swapped (De Morgan), as the
        # stock compiler does.
        if invert:
            is_and = not is_and
        within = OR if invert else AND
        between = AND if is_and else OR
        lexemes = between(
            within(Lexeme(term.text, invert=invert, prefix=term.prefix) for term in group)
            for group in groups
        )
        return SearchQuery(lexemes, search_type="raw", config=config)


class SegmentingPostgresAutocompleteQueryCompiler(
    SegmentingPostgresQueryCompiler, PostgresAutocompleteQueryCompiler
):
    def get_index_vectors(self, search_query):
        # Pages autocomplete on their title alone; the admin search should find the body too.
        return [
            *super().get_index_vectors(search_query),
            *PostgresSearchQueryCompiler.get_index_vectors(self, search_query),
        ]


class SegmentingPostgresSearchBackend(PostgresSearchBackend):
    query_compiler_class = SegmentingPostgresQueryCompiler
    autocomplete_query_compiler_class = SegmentingPostgresAutocompleteQueryCompiler
    index_class = SegmentingPostgresIndex

    def __init__(self, params):
        super().__init__(params)
        self.config = TEXT_SEARCH_CONFIG
        self.autocomplete_config = TEXT_SEARCH_CONFIG
