"""Evidence: the chain of custody over the WARC files, and per-article evidence bundles.

``chain`` seals closed WARC files into a hash chain (``warc_manifest``), each head signed
with the installation's Ed25519 key (``keys``) and, when a timestamp authority is
configured, stamped with an RFC 3161 token (``timestamp``). ``bundle`` writes one WACZ per
article with everything needed to check it; ``verify`` checks such a bundle.
"""
