"""The frame header of the crawl's pipe to its extraction workers (8-byte big-endian length).

Its own module, so the crawl process (``spiders.extraction_pool``) reads it without importing
the worker, which imports the extraction stack (trafilatura).
"""

import struct

HEADER = struct.Struct(">Q")
