"""The synthetic shop behind ``sample_data/``: a deterministic simulation, its vocabulary, and (re-exported) its loading.

* :mod:`retention.sample.simulate`: :func:`generate`, the week-by-week simulation, and its parameters
  (:func:`tables` gives the same frames one table at a time, for loading a large shop);
* :mod:`retention.sample.words`: the category, product, brand and style words products are named with;
* :mod:`retention.sample.arrays`, :mod:`retention.sample.kernels` and :mod:`retention.sample.text`: the steps
  whose cost grows with the shop (item choice, compiled with numba on first use; sort orders; id strings
  written as Arrow arrays), each linear in customers, so a million customers take minutes, not hours;
* :mod:`retention.bootstrap`: Parquet in and out, loading frames into a warehouse, and the default
  warehouse built from ``sample_data/`` on first use (re-exported here, so ``sample.load_frames``
  and ``sample.build_warehouse`` keep working).
"""

from retention.bootstrap import (
    SAMPLE_DIR,
    build_warehouse,
    canonical_frame,
    ensure_default_warehouse,
    frame_sha256,
    load_frames,
    read_parquet,
    write_parquet,
)
from retention.sample.simulate import (
    BROWSE_RATE,
    CHANNELS,
    COUNTRIES,
    DEFAULT_END,
    EVENT_ADD_TO_CART,
    EVENT_SESSION_START,
    EVENT_TYPES,
    EVENT_VIEW,
    PROMOTIONS,
    RETURN_PREFIX,
    SAMPLE_PARAMS,
    TASTE_DIM,
    catalogue_size,
    generate,
    tables,
)
from retention.sample.words import CATEGORIES, STYLE_WORDS

__all__ = [
    "BROWSE_RATE",
    "CATEGORIES",
    "CHANNELS",
    "COUNTRIES",
    "DEFAULT_END",
    "EVENT_ADD_TO_CART",
    "EVENT_SESSION_START",
    "EVENT_TYPES",
    "EVENT_VIEW",
    "PROMOTIONS",
    "RETURN_PREFIX",
    "SAMPLE_DIR",
    "SAMPLE_PARAMS",
    "STYLE_WORDS",
    "TASTE_DIM",
    "build_warehouse",
    "canonical_frame",
    "catalogue_size",
    "ensure_default_warehouse",
    "frame_sha256",
    "generate",
    "load_frames",
    "read_parquet",
    "tables",
    "write_parquet",
]
