"""Topic tagging: taxonomy loading, the lexicon tagger, facets, and storage.

``tag_pending(engine)`` tags what needs tagging; ``LexiconTagger(load_taxonomy(path))``
tags a single text without a database.
"""

from pipeline.tagging.store import register_taxonomy, tag_pending
from pipeline.tagging.tagger import METHOD, FacetHit, LexiconTagger, TagResult, TopicScore
from pipeline.tagging.taxonomy import Taxonomy, TaxonomyError, load_taxonomy

__all__ = [
    "METHOD",
    "FacetHit",
    "LexiconTagger",
    "TagResult",
    "Taxonomy",
    "TaxonomyError",
    "TopicScore",
    "load_taxonomy",
    "register_taxonomy",
    "tag_pending",
]
