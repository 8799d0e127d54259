"""Item-to-item and own-history recommenders for implicit feedback: EASE, bought-together co-occurrence, buy again."""
