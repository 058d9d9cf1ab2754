"""Replay: the archive served through pywb, so a person sees a capture as it was fetched.

``index`` keeps a CDXJ index of every WARC file current (ingestion adds each closed
file's new records; a rebuild redoes it all); ``server`` runs pywb, which lives in its own
pinned environment (its pins clash with the main lock), as a child process.
"""
