"""Churn training at scale: the sampled, fit-once model against the old procedure on every snapshot row.

On a warehouse (e.g. the 50,000-customer sample shop of ``benchmarks/scale_bench.py``), with the scoring's snapshot
plan (latest order date, 90-day horizon):

* read: the feature rows of the training and holdout snapshots, of every customer and of
  :func:`retention.churn.sample_customers` (``--max-rows`` final training rows);
* old: the evaluation model as it was fitted up to model revision 4, on every row: Platt scaling on 3-fold
  out-of-fold log-odds (folds grouped by customer) and a final fit, each fit stopping early on a random 15% of
  its rows;
* new: :func:`retention.churn.fit_churn_model` (one fit, stopped early on a fifth of the customers, Platt scaling
  on their log-odds) on the sample, and on every row (to tell the sample's effect from the procedure's).

Each model is scored on the whole holdout snapshot (every customer), so the ROC AUCs compare like with like.
Prints rows, CPU seconds (process time, all threads) and the ROC AUCs; the targets are an AUC within 0.005 of the
old one and the CPU ratio old / new. CPU seconds hold on a busy machine; wall seconds do not.

Run: ``python benchmarks/churn_scale_bench.py WAREHOUSE [--max-rows 250000] [--seed 0]`` (the warehouse is only
read).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from sklearn.metrics import roc_auc_score

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from retention import churn, warehouse  # noqa: E402

OLD_FOLDS = 3
OLD_PARAMS = {"validation_fraction": 0.15}


def cpu(work: Callable[[], object]) -> tuple[float, object]:
    """CPU seconds of the whole process (every thread) that ``work()`` took, and its result."""
    start = time.process_time()
    out = work()
    return time.process_time() - start, out


def old_fit(frame, seed: int) -> churn.ChurnModel:
    """Model revision 4's fit: out-of-fold Platt scaling (GroupKFold by customer) and a final fit on every row."""
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import GroupKFold, cross_val_predict

    def trees() -> HistGradientBoostingClassifier:
        return HistGradientBoostingClassifier(**{**churn.MODEL_PARAMS, **OLD_PARAMS}, random_state=seed)

    y = churn.labels(frame, "old training data")
    encoder = churn.fit_encoder(frame)
    x = encoder.transform(frame)
    with churn.thread_limit(len(y)):
        out_of_fold = cross_val_predict(
            trees(),
            x,
            y,
            groups=frame["user_id"].to_numpy(),
            cv=GroupKFold(n_splits=OLD_FOLDS),
            method="decision_function",
        )
        fitted = trees().fit(x, y)
    platt = LogisticRegression(C=np.inf).fit(out_of_fold.reshape(-1, 1), y)
    return churn.ChurnModel(encoder, fitted, float(platt.coef_[0, 0]), float(platt.intercept_[0]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("warehouse")
    parser.add_argument(
        "--max-rows", default=str(churn.MAX_TRAINING_ROWS), help="row caps of the sample, comma-separated"
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--skip-old", action="store_true", help="only the new fits (the old one takes minutes)")
    args = parser.parse_args()
    caps = [int(cap) for cap in args.max_rows.split(",")]

    with warehouse.session(args.warehouse) as con:
        plan = churn.plan_scoring(con)
        past = [day for day in plan.all_dates if day != plan.as_of]
        read_all, every = cpu(lambda: churn.snapshot_features(con, past, plan.horizon_days))
        samples = [churn.sample_customers(con, plan.final_train, max_rows=cap, seed=args.seed) for cap in caps]
        reads = [cpu(lambda s=s: churn.snapshot_features(con, past, plan.horizon_days, sample=s)) for s in samples]
    holdout = churn.rows_at(every, [plan.holdout])
    y = churn.labels(holdout, "holdout")
    baseline = churn.fit_recency_baseline(churn.rows_at(every, plan.evaluation_train))
    print(f"warehouse {args.warehouse}: as of {plan.as_of}, holdout {plan.holdout} ({len(holdout):,} customers)")
    print(f"recency baseline ROC AUC {roc_auc_score(y, baseline.predict_risk(holdout)):.4f}")
    print(f"{'':<24}{'rows read':>10}{'read CPU s':>11}{'fit rows':>10}{'fit CPU s':>10}{'trees':>7}{'ROC AUC':>9}")

    fits = [
        (f"new, cap {cap:,}", frame, seconds, churn.fit_churn_model)
        for cap, (seconds, frame) in zip(caps, reads, strict=True)
    ]
    fits.append(("new, every row", every, read_all, churn.fit_churn_model))
    if not args.skip_old:
        fits.append(("old, every row", every, read_all, old_fit))
    results = {}
    for name, frame, read_seconds, fit in fits:
        train = churn.rows_at(frame, plan.evaluation_train)
        seconds, model = cpu(lambda train=train, fit=fit: fit(train, seed=args.seed))
        score = float(roc_auc_score(y, model.predict_risk(holdout)))
        results[name] = (seconds, score)
        print(
            f"{name:<24}{len(frame):>10,}{read_seconds:>11.1f}{len(train):>10,}{seconds:>10.1f}"
            f"{int(model.trees.n_iter_):>7}{score:>9.4f}",
            flush=True,
        )
    if not args.skip_old:
        old_seconds, old_score = results["old, every row"]
        for cap, (read_seconds, _) in zip(caps, reads, strict=True):
            seconds, score = results[f"new, cap {cap:,}"]
            print(
                f"cap {cap:,}: AUC {score - old_score:+.4f} against the old fit on every row (target within 0.005); "
                f"CPU old / new: fit {old_seconds / seconds:.1f}x, read {read_all / read_seconds:.1f}x"
            )


if __name__ == "__main__":
    main()
