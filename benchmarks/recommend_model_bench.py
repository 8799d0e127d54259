"""Saved recommender models: loading a run's model fitted on all feedback, against refitting it.

Run: ``python benchmarks/recommend_model_bench.py --db WAREHOUSE [--models svd,knn_baseline,content,popularity]``.
On a copy of the warehouse (the original is not written), per model: the fit on all feedback (what every server
restart cost before models were saved), saving it, loading it back from the warehouse, the blob's size, and the
refit / load ratio.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from retention import warehouse  # noqa: E402
from retention.recommend import evaluate, runs, saved, serve  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True, help="a warehouse with feedback (copied first)")
    parser.add_argument("--models", default="svd,knn_baseline,content,popularity")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "warehouse.duckdb"
        shutil.copy(args.db, path)
        with warehouse.session(path, write=True) as con:
            version = saved.feedback_version(con)
            for name in args.models.split(","):
                started = time.perf_counter()
                recommender = serve.fit_recommender(con, name)
                fit = time.perf_counter() - started
                placeholder = evaluate.Evaluation(name, recommender.params, {}, 10, {}, 0.0, 0.0)
                run_id = runs.save_run(con, placeholder)
                started = time.perf_counter()
                size = saved.save_model(con, run_id, recommender, version)
                save = time.perf_counter() - started
                started = time.perf_counter()
                loaded = saved.load_model(con, run_id, version)
                load = time.perf_counter() - started
                assert loaded is not None
                print(
                    f"{name:14s} refit {fit:7.2f} s   save {save:6.2f} s   load {load:6.3f} s   "
                    f"blob {size / 1e6:6.1f} MB   refit/load {fit / load:6.1f}x",
                    flush=True,
                )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
