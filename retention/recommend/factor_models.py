"""Matrix factorisation for implicit feedback from the ``implicit`` library: ALS and BPR."""
