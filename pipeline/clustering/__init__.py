"""Near-duplicate story clusters: the same story republished by several outlets.

Every copy stays stored with its own provenance; ``article_clusters`` says which cluster it
joined, against which stored article, how similar it was and with which parameters, and
``clusters`` names the earliest-published copy as representative.

Method (see :mod:`pipeline.clustering.text`, :mod:`.minhash`, :mod:`.store`): text is
normalised for matching only (letter variants, digits, ZWNJ, Persian clitics, stock ledes and
boilerplate lines), cut into 3-word shingles, summarised by a 128-value MinHash signature,
and indexed in PostgreSQL as 42 LSH bands of 3 rows. A new article's band keys find its
candidates with one index look-up; each candidate is verified by the exact Jaccard similarity
of the shingle sets, and joins at Jaccard >= 0.30.

Why 3-word shingles and Jaccard 0.30 (measured on the labelled set in ``tests/data/dedup``:
34 stories in English and Persian, 136 copies with realistic edits and other outlets'
boilerplate, 34 follow-ups that reuse background paragraphs, same-topic stories; 375 pairs;
``python bench/dedup.py --sweep`` prints the table):

* Edited copies are nowhere near the usual 0.8. With 3-word shingles, copies with a new lead,
  15-25 % synonyms, word edits, a dropped sentence and an added paragraph have Jaccard
  0.35-0.56 to the original, copy-to-copy pairs down to 0.28; at 0.8 only 17 % of the copy
  pairs pass, whatever the shingle size.
* Follow-ups reusing one or two background paragraphs of the original reach at most 0.26
  (median 0.09); different stories on one topic at most 0.025.
* 3-word shingles leave a gap between the two (lowest copy pair 0.277, highest non-copy pair
  0.262); 4- and 5-word shingles do not (0.220 vs 0.242, 0.167 vs 0.233): every edited word
  breaks more shingles. 2-word shingles separate the set as well (0.362 vs 0.303) but make
  unrelated articles look alike: different stories score a mean 0.019 instead of 0.0024,
  which with these bands would mean ~630 false candidates per look-up in an archive of a
  million such articles instead of ~13 — placement would slow down as the archive grows.
* At 0.30 verification alone gives precision 1.00 and recall 0.99 on the pairs; clustering
  (single link through any member) gives 1.00 / 1.00, purity 1.00, no follow-up in its
  original's cluster.
* 42 bands x 3 rows (126 of the 128 values) make a stored article a candidate with
  probability 0.68 at Jaccard 0.30, 0.94 at 0.40 and 0.996 at 0.50 (a cluster's several
  copies give a new copy several chances), and an unrelated one at Jaccard 0.02 with 3e-4.
  32 x 4 would find only 23 % of pairs at 0.30; 64 x 2 would bring 47 % of pairs at 0.10.

This set is synthetic; real news reuses more wording between different stories. Re-check the
threshold on labelled real pairs before trusting it for a new kind of source. A new
threshold applies to new placements at once (it is not part of ``params_key``, so stored
signatures stay valid) and ``dadkhah recluster`` re-decides the stored ones; a new shingle
size, number of permutations, bands or rows changes ``params_key`` and needs the recluster.
"""

from pipeline.clustering.minhash import DEFAULT_PARAMS, Params
from pipeline.clustering.store import cluster_pending, recluster_all

__all__ = ["DEFAULT_PARAMS", "Params", "cluster_pending", "recluster_all"]
