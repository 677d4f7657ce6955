"""What the SQLite and PostgreSQL flavours share: reading queries as segments, and upserting.

The stock database backends stay in charge of matching and ranking; these mixins only make
sure the index and the queries both speak in segments (see segment.py).
"""

from modelsearch.query import MATCH_NONE, And, Boost, Not, Or, Phrase, PlainText, SearchQuery
from modelsearch.utils import get_content_type_pk

from weizhi.search.segment import Term, query_groups


def without_empty_terms(query: SearchQuery) -> SearchQuery | None:
    """The query minus the texts that hold no searchable word (only punctuation or spaces).

    An empty part constrains nothing, so it drops out of And and Or; None means nothing at all
    is left to search for.
    """
    if isinstance(query, (PlainText, Phrase)):
        return query if query_groups(query.query_string) else None
    if isinstance(query, (And, Or)):
        kept = [part for part in map(without_empty_terms, query.subqueries) if part is not None]
        if len(kept) > 1:
            return type(query)(kept)
        return kept[0] if kept else None
    if isinstance(query, Not):
        inner = without_empty_terms(query.subquery)
        return None if inner is None else Not(inner)
    if isinstance(query, Boost):
        inner = without_empty_terms(query.subquery)
        return None if inner is None else Boost(inner, query.boost)
    return query


class SegmentingQueryMixin:
    """For query compilers: turns PlainText and Phrase into groups of segment terms."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The stock compilers answer MATCH_NONE with an empty queryset before building SQL.
        self.query = without_empty_terms(self.query) or MATCH_NONE

    def term_groups(self, query: PlainText | Phrase) -> tuple[list[list[Term]], bool]:
        """The groups of terms to match and whether all groups are required.

        A phrase requires all its terms, in any order: bigrams already keep the order of
        neighbouring Chinese characters, which is what a phrase mostly asks for.
        """
        groups = query_groups(query.query_string)
        if isinstance(query, Phrase):
            groups = [list(dict.fromkeys(term for group in groups for term in group))]
            is_and = True
        else:
            is_and = query.operator.lower() == "and"
        if self.LAST_TERM_IS_PREFIX:
            groups[-1][-1] = groups[-1][-1]._replace(prefix=True)
        return groups, is_and


class UpsertingIndexMixin:
    """For indexes: writes all entries of a batch in one INSERT … ON CONFLICT UPDATE.

    Subclasses say how an object becomes an entry (new_entry) and which columns it fills.
    """

    entry_fields: tuple[str, ...] = ("title", "autocomplete", "body", "title_norm")

    def new_entry(self, obj, content_type_pk: int):
        raise NotImplementedError

    def add_items(self, model, objs) -> None:
        if not model.get_search_fields():
            return
        content_type_pk = get_content_type_pk(model)
        entries = [self.new_entry(obj, content_type_pk) for obj in objs]
        if not entries:
            return
        # A changed entry goes back to the default title_norm so _refresh_title_norms redoes it.
        self.entries.model._default_manager.using(self.write_connection.alias).bulk_create(
            entries,
            update_conflicts=True,
            unique_fields=["content_type", "object_id"],
            update_fields=list(self.entry_fields),
        )
        self._refresh_title_norms()
