"""Topic tagging: taxonomy loading, the lexicon tagger, facets, and storage.

``tag_pending(engine)`` tags what needs tagging; ``CombinedTagger(load_taxonomy(path))``
(lexicon plus sentence model) or ``LexiconTagger`` tags a single text without a database.
"""

from pipeline.tagging.model import MODEL_METHOD, CombinedTagger
from pipeline.tagging.store import register_taxonomy, tag_pending
from pipeline.tagging.tagger import METHOD, FacetHit, LexiconTagger, TagResult, TopicScore
from pipeline.tagging.taxonomy import Taxonomy, TaxonomyError, load_taxonomy

__all__ = [
    "METHOD",
    "MODEL_METHOD",
    "CombinedTagger",
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
