"""The incident register: reported executions, death sentences, deaths in custody,
extrajudicial killings, floggings and amputations, with their victims, places, dates and
sources, resolved across articles, outlets and scripts (issue 17)."""

from pipeline.incidents.store import extract_pending, pending_articles

__all__ = ["extract_pending", "pending_articles"]
