"""Revisits: stored articles fetched again on a schedule, their edits and takedowns recorded.

``schedule`` picks the due articles, ``spiders.revisit_spider`` fetches them on the crawl's
spine, ``compare`` decides what each answer means, ``store`` records it (a new version and a
word-level ``diff`` for an edit), and ``run`` ties one run together for the CLI and the DAG.
"""
