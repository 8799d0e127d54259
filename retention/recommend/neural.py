"""Neural recommenders in Keras 3 on the JAX backend: neural collaborative filtering and a next-item GRU.

* ``ncf``: NeuMF (He et al. 2017, "Neural Collaborative Filtering"). A customer and an item each get two
  embeddings: a GMF branch multiplies one pair element by element, an MLP tower reads the other pair
  concatenated; both outputs are concatenated into one logit, trained with binary cross-entropy against
  sampled negatives (items the customer did not choose, drawn afresh each epoch from a seeded generator).
* ``gru4rec``: a next-item model after GRU4Rec (Hidasi et al. 2016, "Session-based Recommendations with
  Recurrent Neural Networks"). Each customer's items in time order feed a GRU over item embeddings; at every
  step it predicts the next item with a softmax over the whole catalogue. That full softmax is exact and simple,
  and it is most of the training time (on Online Retail's 3,600 items at the default sizes, about 19 in 20 of
  the multiply-adds); a sampled softmax is the step to take for catalogues many times larger. Items are ordered by their first
  purchase (``first_ts``) by default: each step is then an item new to the customer, which is what discovery
  asks for; ``order='last'`` orders by the latest purchase instead. Recommendations follow what a customer did
  last.

Both hold out each customer's last item (by time, customers with at least :data:`MIN_HISTORY` items) inside the
training feedback, compute NDCG@10 on it after every epoch, stop after ``patience`` epochs without improvement
and keep the best epoch's weights. The held-out items are not trained on (one per customer); the next-item
model's final states do read them, since what a customer did last matters most to it.

Keras and JAX take seconds to import and are needed only to train: they are imported inside the fits. The
fitted models keep only numpy arrays and score with a numpy forward pass, so a saved model loads and
recommends without either library (checked against Keras's own ``predict`` in the tests).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from surprise.trainset import Trainset

from retention import schema
from retention.errors import DataError
from retention.recommend.feedback import Feedback
from retention.recommend.models import SEED, FittedModel, Param, catalogue, known_users, register, report_fit

VALIDATION_K = 10
VALIDATION_USERS = 1000  # validated customers at most, a seeded sample: bounds each epoch's scoring
MIN_HISTORY = 3  # a customer's last item is held out for validation only when at least this many remain
PAIR_BLOCK = 65_536  # customer x item pairs through the MLP tower at once: bounds memory

ORDERS = {"first": "first_ts", "last": schema.COL_TS}


def load_keras() -> Any:
    """Keras 3 on the JAX backend, on the CPU.

    Raises
    ------
    DataError
        Keras was already imported in this process with another backend.
    """
    loaded = sys.modules.get("keras")
    if loaded is not None and loaded.backend.backend() != "jax":
        raise DataError(
            f"the neural models need Keras on the JAX backend, but this process already loaded Keras on "
            f"{loaded.backend.backend()!r}; unset KERAS_BACKEND (or set it to jax) and start again"
        )
    if loaded is None:
        os.environ["KERAS_BACKEND"] = "jax"
    if "jax" not in sys.modules:
        os.environ.setdefault("JAX_PLATFORMS", "cpu")
    import keras

    return keras


# --- Histories, held-out items, validation -------------------------------------------------------------------------


@dataclass(frozen=True)
class Histories:
    """Each known user's items in time order: user ``u``'s catalogue positions are ``items[starts[u]:starts[u + 1]]``."""

    items: np.ndarray
    starts: np.ndarray

    @property
    def lengths(self) -> np.ndarray:
        return np.diff(self.starts)

    def users_of_rows(self) -> np.ndarray:
        """The user position of each entry of ``items``."""
        return np.repeat(np.arange(len(self.starts) - 1), self.lengths)

    def keep(self, mask: np.ndarray) -> Histories:
        """The histories with only the entries where ``mask`` is true."""
        counts = np.bincount(self.users_of_rows()[mask], minlength=len(self.starts) - 1)
        return Histories(self.items[mask], np.concatenate([[0], np.cumsum(counts)]))

    def last(self, n: int) -> np.ndarray:
        """Each user's latest ``n`` items, left-padded with -1: int array ``(users, n)``."""
        window = np.full((len(self.starts) - 1, n), -1, dtype=np.int64)
        users = self.users_of_rows()
        from_end = self.starts[users + 1] - 1 - np.arange(len(self.items))
        kept = from_end < n
        window[users[kept], n - 1 - from_end[kept]] = self.items[kept]
        return window


def histories(train: Feedback, users: pd.Index, items: pd.Index, column: str, seed: int) -> Histories:
    """The users' items ordered by ``column`` (``first_ts`` or ``ts``; unknown times first).

    Items of one basket share a time; they are put in a seeded random order. In item-id order (or any fixed
    one) a model learns that order (codes of one product line in a row) instead of what is bought together.
    """
    frame = pd.DataFrame(
        {
            "user": users.get_indexer(train.frame[schema.COL_USER]),
            "item": items.get_indexer(train.frame[schema.COL_ITEM]),
            "time": train.frame[column].to_numpy(),
            "tie": np.random.default_rng(seed).permutation(len(train.frame)),
        }
    ).sort_values(["user", "time", "tie"], na_position="first", kind="stable")
    counts = np.bincount(frame["user"].to_numpy(), minlength=len(users))
    return Histories(frame["item"].to_numpy(dtype=np.int64), np.concatenate([[0], np.cumsum(counts)]))


@dataclass(frozen=True)
class HeldOut:
    """Each validated user's last item, held out of training: ``users`` (positions), ``items`` (catalogue
    positions), and ``fit`` the histories without those items."""

    users: np.ndarray
    items: np.ndarray
    fit: Histories


def hold_out(full: Histories, seed: int) -> HeldOut:
    """Hold out the last item of users with at least :data:`MIN_HISTORY` items; at most :data:`VALIDATION_USERS`
    of them (a seeded sample) are validated on."""
    eligible = np.flatnonzero(full.lengths >= MIN_HISTORY)
    if len(eligible) > VALIDATION_USERS:
        eligible = np.sort(np.random.default_rng(seed).choice(eligible, VALIDATION_USERS, replace=False))
    last_rows = full.starts[eligible + 1] - 1
    mask = np.ones(len(full.items), dtype=bool)
    mask[last_rows] = False
    return HeldOut(eligible, full.items[last_rows], full.keep(mask))


def validation_ndcg(scores: np.ndarray, held: HeldOut) -> float:
    """Mean NDCG@10 of the held-out items, each user's other training items excluded: with one relevant item,
    ``1 / log2(rank + 2)`` when its 0-based rank is under 10, else 0."""
    scores = np.array(scores, dtype=float)
    users = held.fit.users_of_rows()
    slot = np.full(len(held.fit.starts) - 1, -1)
    slot[held.users] = np.arange(len(held.users))
    rows = slot[users]
    scores[rows[rows >= 0], held.fit.items[rows >= 0]] = -np.inf
    target = scores[np.arange(len(held.users)), held.items]
    rank = (scores > target[:, None]).sum(axis=1)
    return float(np.mean(np.where(rank < VALIDATION_K, 1.0 / np.log2(rank + 2.0), 0.0)))


def train_epochs(
    model: Any,
    run_epoch: Callable[[int], None],
    validate: Callable[[], float] | None,
    epochs: int,
    patience: int,
) -> tuple[list[float], int]:
    """Run up to ``epochs`` epochs, reporting each (:func:`report_fit`); stop after ``patience`` epochs without a
    better validation NDCG@10 and leave ``model`` with the best epoch's weights. Without ``validate`` (nobody to
    validate on) every epoch runs and the last weights stay. Returns the validation NDCG@10 of each epoch run (empty
    without ``validate``) and the number of epochs run."""
    history: list[float] = []
    best, best_weights, waited, epochs_run = -np.inf, None, 0, 0
    for epoch in range(1, epochs + 1):
        run_epoch(epoch)
        epochs_run = epoch
        if validate is None:
            report_fit(f"epoch {epoch} of {epochs} (no validation: no customer has {MIN_HISTORY} or more items)")
            continue
        history.append(validate())
        report_fit(f"epoch {epoch} of {epochs}, validation NDCG@10 {history[-1]:.3f}")
        if history[-1] > best:
            best, best_weights, waited = history[-1], model.get_weights(), 0
        else:
            waited += 1
            if waited >= patience:
                break
    if best_weights is not None:
        model.set_weights(best_weights)
    return history, epochs_run


def common_params(epochs: int, learning_rate: float, batch_size: int) -> tuple[Param, ...]:
    """The training hyperparameters both neural models share, with model-specific defaults."""
    return (
        Param("epochs", epochs, "Most passes over the training feedback.", 1, 500),
        Param(
            "patience",
            2,
            "Stop after this many epochs without a better validation NDCG@10 (each customer's last item, held "
            "out); the best epoch's weights are kept.",
            1,
            100,
        ),
        Param("learning_rate", learning_rate, "Step size of the Adam optimiser.", 1e-5, 1.0),
        Param("batch_size", batch_size, "Training examples per gradient step.", 1, 65_536),
        SEED,
    )


# --- Neural collaborative filtering --------------------------------------------------------------------------------


def tower_sizes(factors: int, layers: int) -> list[int]:
    """Widths of the MLP tower: halving down to ``factors`` (NeuMF's "predictive factors"), e.g. 64, 32, 16."""
    return [factors * 2 ** (layers - 1 - layer) for layer in range(layers)]


def build_ncf(keras: Any, n_users: int, n_items: int, factors: int, layers: int) -> Any:
    """The NeuMF network: ``[user positions, item positions]`` (int) -> one logit per pair, shape ``(n, 1)``."""
    sizes = tower_sizes(factors, layers)
    user, item = keras.Input((), dtype="int32", name="user"), keras.Input((), dtype="int32", name="item")
    gmf = keras.layers.Multiply()(
        [
            keras.layers.Embedding(n_users, factors, name="gmf_user")(user),
            keras.layers.Embedding(n_items, factors, name="gmf_item")(item),
        ]
    )
    mlp = keras.layers.Concatenate()(
        [
            keras.layers.Embedding(n_users, max(1, sizes[0] // 2), name="mlp_user")(user),
            keras.layers.Embedding(n_items, max(1, sizes[0] // 2), name="mlp_item")(item),
        ]
    )
    for position, size in enumerate(sizes):
        mlp = keras.layers.Dense(size, activation="relu", name=f"tower_{position}")(mlp)
    logit = keras.layers.Dense(1, name="output")(keras.layers.Concatenate()([gmf, mlp]))
    return keras.Model([user, item], logit)


class NCFModel(FittedModel):
    """A fitted NeuMF as numpy arrays; :meth:`scores` are its logits (the sigmoid is monotone, so it ranks alike).

    Attributes
    ----------
    gmf_users, gmf_items, mlp_users, mlp_items
        The four embedding tables (rows: :attr:`users`, :attr:`items`).
    tower
        ``(kernel, bias)`` of each MLP layer (ReLU).
    output_kernel, output_bias
        The last layer over ``[GMF vector, tower output]``.
    epochs_run, validation
        Epochs trained, and the validation NDCG@10 after each.
    """

    def __init__(
        self, items: pd.Index, users: pd.Index, weights: dict[str, list[np.ndarray]], trained: tuple[list[float], int]
    ):
        self.items, self.users = items, users
        self.gmf_users, self.gmf_items = weights["gmf_user"][0], weights["gmf_item"][0]
        self.mlp_users, self.mlp_items = weights["mlp_user"][0], weights["mlp_item"][0]
        self.tower = [tuple(weights[name]) for name in sorted(w for w in weights if w.startswith("tower_"))]
        self.output_kernel, self.output_bias = weights["output"][0][:, 0], weights["output"][1][0]
        self.validation, self.epochs_run = trained

    def scores(self, user_ids: Sequence[str]) -> np.ndarray:
        return self.score_rows(self.users.get_indexer(user_ids))

    def score_rows(self, rows: np.ndarray) -> np.ndarray:
        """:meth:`scores` of users by position in :attr:`users`."""
        factors = self.gmf_users.shape[1]
        gmf = (self.gmf_users[rows] * self.output_kernel[:factors]) @ self.gmf_items.T
        first_kernel, first_bias = self.tower[0]
        half = self.mlp_users.shape[1]
        item_part = self.mlp_items @ first_kernel[half:] + first_bias
        user_part = self.mlp_users[rows] @ first_kernel[:half]
        out = np.empty((len(rows), len(self.items)), dtype=np.float32)
        step = max(1, PAIR_BLOCK // max(1, len(self.items)))
        for start in range(0, len(rows), step):
            block = user_part[start : start + step]
            # one 2-D product per layer over (user, item) pairs: a batched 3-D product is many times slower
            hidden = np.maximum(block[:, None, :] + item_part[None, :, :], 0.0).reshape(-1, item_part.shape[1])
            for kernel, bias in self.tower[1:]:
                hidden = np.maximum(hidden @ kernel + bias, 0.0)
            out[start : start + step] = (hidden @ self.output_kernel[factors:]).reshape(len(block), -1)
        return gmf + out + self.output_bias


def layer_weights(model: Any) -> dict[str, list[np.ndarray]]:
    """Each named layer's weights as numpy arrays."""
    return {layer.name: [np.asarray(w) for w in layer.get_weights()] for layer in model.layers if layer.weights}


def sampled_negatives(n_items: int, users: np.ndarray, per_positive: int, positives: np.ndarray, rng) -> tuple:
    """``per_positive`` uniform items per positive's user, draws that hit a positive pair dropped:
    ``(users, items)``. ``positives`` holds the sorted codes ``user * n_items + item`` of the positive pairs."""
    drawn_users = np.repeat(users, per_positive)
    drawn = drawn_users * n_items + rng.integers(0, n_items, drawn_users.size)
    found = np.searchsorted(positives, drawn).clip(max=len(positives) - 1)
    drawn = drawn[positives[found] != drawn]
    return np.divmod(drawn, n_items)


def train_ncf(train: Feedback, params: dict) -> tuple[Any, NCFModel]:
    """Fit NeuMF on ``train``: the Keras model (best epoch's weights) and its numpy copy."""
    keras = load_keras()
    keras.utils.set_random_seed(params["random_state"])
    items, users = catalogue(train), known_users(train)
    held = hold_out(histories(train, users, items, "first_ts", params["random_state"]), params["random_state"])
    pos_users, pos_items = held.fit.users_of_rows(), held.fit.items
    positives = np.unique(pos_users * len(items) + pos_items)
    model = build_ncf(keras, len(users), len(items), params["factors"], params["mlp_layers"])
    model.compile(
        optimizer=keras.optimizers.Adam(params["learning_rate"]),
        loss=keras.losses.BinaryCrossentropy(from_logits=True),
    )

    def run_epoch(epoch: int) -> None:
        rng = np.random.default_rng([params["random_state"], epoch])
        neg_users, neg_items = sampled_negatives(len(items), pos_users, params["negatives"], positives, rng)
        # whole batches only: a last, smaller batch of another size each epoch would compile the step again
        keep = max(0, len(neg_users) - (len(pos_users) + len(neg_users)) % params["batch_size"])
        neg_users, neg_items = neg_users[:keep], neg_items[:keep]
        x_users = np.concatenate([pos_users, neg_users]).astype(np.int32)
        x_items = np.concatenate([pos_items, neg_items]).astype(np.int32)
        labels = np.concatenate([np.ones(len(pos_users)), np.zeros(len(neg_users))]).astype(np.float32)
        model.fit([x_users, x_items], labels, batch_size=params["batch_size"], epochs=1, shuffle=True, verbose=0)

    def validate() -> float:
        return validation_ndcg(NCFModel(items, users, layer_weights(model), ([], 0)).score_rows(held.users), held)

    trained = train_epochs(
        model, run_epoch, validate if len(held.users) else None, params["epochs"], params["patience"]
    )
    return model, NCFModel(items, users, layer_weights(model), trained)


@register(
    "ncf",
    "Neural collaborative filtering (NeuMF)",
    "collaborative",
    "A neural network learns customer and item embeddings and how they interact (a GMF branch and an MLP tower), "
    "from purchases against sampled items not bought (Keras on JAX; slow: off by default).",
    (
        Param("factors", 16, "Size of the GMF embeddings and of the tower's last layer.", 1, 512),
        Param("mlp_layers", 3, "Layers of the MLP tower, halving in width down to factors.", 1, 6),
        Param(
            "negatives", 4, "Sampled items the customer did not choose, per purchase, drawn afresh each epoch.", 1, 100
        ),
        *common_params(epochs=10, learning_rate=0.002, batch_size=2048),
    ),
    default_on=False,
    slow=True,
)
def _fit_ncf(train: Feedback, params: dict, products: pd.DataFrame | None, trainset: Trainset | None) -> FittedModel:
    return train_ncf(train, params)[1]


# --- Next-item GRU -------------------------------------------------------------------------------------------------


def chunks(history: Histories, length: int, recent: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Training sequences: each user's items cut, from the latest back, into runs of ``length`` next-item steps;
    only the latest ``recent`` steps of each user (0: all).

    Returns ``(inputs, targets, weights)``, each ``(chunks, length)``: ``inputs`` are the item at each step
    (catalogue position + 1; 0 pads the left of a user's earliest, shorter run), ``targets`` the item after it,
    ``weights`` 1 for real steps and 0 for padding.
    """
    users = history.users_of_rows()
    position = np.arange(len(history.items)) - history.starts[users]
    is_target = position >= 1
    steps = (history.lengths - 1).clip(min=0)
    if recent > 0:
        steps = steps.clip(max=recent)
    per_user = np.ceil(steps / length).astype(np.int64)
    offsets = np.concatenate([[0], np.cumsum(per_user)])
    rows = np.flatnonzero(is_target)
    from_end = history.starts[users[rows] + 1] - 1 - rows
    if recent > 0:
        rows, from_end = rows[from_end < recent], from_end[from_end < recent]
    chunk = offsets[users[rows]] + from_end // length
    slot = length - 1 - from_end % length
    inputs = np.zeros((offsets[-1], length), dtype=np.int32)
    targets = np.zeros((offsets[-1], length), dtype=np.int32)
    weights = np.zeros((offsets[-1], length), dtype=np.float32)
    inputs[chunk, slot] = history.items[rows - 1] + 1
    targets[chunk, slot] = history.items[rows]
    weights[chunk, slot] = 1.0
    return inputs, targets, weights


def build_gru(keras: Any, n_items: int, embedding: int, units: int, length: int) -> Any:
    """The next-item network: ``length`` item positions + 1 (0 = padding) -> the next item's logits over the
    catalogue at every step, shape ``(n, length, n_items)``."""
    steps = keras.Input((length,), dtype="int32", name="items")
    embedded = keras.layers.Embedding(n_items + 1, embedding, name="embedding")(steps)
    hidden = keras.layers.GRU(units, return_sequences=True, name="gru")(embedded)
    return keras.Model(steps, keras.layers.Dense(n_items, name="output")(hidden))


def sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


@dataclass(frozen=True)
class GRUWeights:
    """The next-item network as numpy arrays: item ``embedding`` (row 0 = padding), Keras's GRU ``kernel``,
    ``recurrent`` kernel and ``bias`` (gates z, r, h; the reset gate applied after the recurrent product), and the
    ``output`` layer's ``output_kernel`` and ``output_bias``."""

    embedding: np.ndarray
    kernel: np.ndarray
    recurrent: np.ndarray
    bias: np.ndarray
    output_kernel: np.ndarray
    output_bias: np.ndarray

    @classmethod
    def of(cls, model: Any) -> GRUWeights:
        weights = layer_weights(model)
        return cls(weights["embedding"][0], *weights["gru"], *weights["output"])

    def state(self, steps: np.ndarray) -> np.ndarray:
        """The GRU's last hidden state after ``steps`` (int ``(n, length)``, item positions + 1, 0 = padding)."""
        units = self.recurrent.shape[0]
        h = np.zeros((len(steps), units), dtype=np.float32)
        inputs = self.embedding[steps] @ self.kernel + self.bias[0]
        for t in range(steps.shape[1]):
            x_z, x_r, x_h = np.split(inputs[:, t], 3, axis=1)
            r_z, r_r, r_h = np.split(h @ self.recurrent + self.bias[1], 3, axis=1)
            z, r = sigmoid(x_z + r_z), sigmoid(x_r + r_r)
            h = z * h + (1.0 - z) * np.tanh(x_h + r * r_h)
        return h

    def logits(self, states: np.ndarray) -> np.ndarray:
        """Next-item logits over the catalogue for hidden ``states``."""
        return states @ self.output_kernel + self.output_bias


class GRUModel(FittedModel):
    """A fitted next-item GRU as numpy arrays; :meth:`scores` are the next-item logits after each known user's
    latest ``length`` items (states computed at fit time).

    Attributes
    ----------
    weights
        The network (:class:`GRUWeights`), to follow a new sequence with :meth:`GRUWeights.state`.
    states
        Each known user's hidden state after their latest items, ``(len(users), units)``.
    epochs_run, validation
        Epochs trained, and the validation NDCG@10 after each.
    """

    def __init__(
        self,
        items: pd.Index,
        users: pd.Index,
        weights: GRUWeights,
        full: Histories,
        length: int,
        trained: tuple[list[float], int],
    ):
        self.items, self.users, self.weights, self.length = items, users, weights, length
        self.states = weights.state(full.last(length) + 1)
        self.validation, self.epochs_run = trained

    def scores(self, user_ids: Sequence[str]) -> np.ndarray:
        return self.weights.logits(self.states[self.users.get_indexer(user_ids)])


def train_gru4rec(train: Feedback, params: dict) -> tuple[Any, GRUModel]:
    """Fit the next-item GRU on ``train``: the Keras model (best epoch's weights) and its numpy copy."""
    keras = load_keras()
    keras.utils.set_random_seed(params["random_state"])
    items, users, length = catalogue(train), known_users(train), params["history"]
    full = histories(train, users, items, ORDERS[params["order"]], params["random_state"])
    held = hold_out(full, params["random_state"])
    inputs, targets, weights = chunks(held.fit, length, params["recent_steps"])
    if len(inputs) == 0:
        raise DataError("the next-item model needs customers with at least two items; every customer has one")
    padding = ((0, -len(inputs) % params["batch_size"]), (0, 0))  # whole batches: one compiled step, not two
    inputs, targets, weights = (np.pad(array, padding) for array in (inputs, targets, weights))
    model = build_gru(keras, len(items), params["embedding"], params["units"], length)
    model.compile(
        optimizer=keras.optimizers.Adam(params["learning_rate"]),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    )
    before_held = held.fit.last(length)[held.users] + 1

    def run_epoch(epoch: int) -> None:
        model.fit(
            inputs, targets, sample_weight=weights, batch_size=params["batch_size"], epochs=1, shuffle=True, verbose=0
        )

    def validate() -> float:
        network = GRUWeights.of(model)
        return validation_ndcg(network.logits(network.state(before_held)), held)

    trained = train_epochs(
        model, run_epoch, validate if len(held.users) else None, params["epochs"], params["patience"]
    )
    return model, GRUModel(items, users, GRUWeights.of(model), full, length, trained)


@register(
    "gru4rec",
    "Next-item GRU (GRU4Rec)",
    "collaborative",
    "A recurrent network reads each customer's latest items in order and predicts what comes next, so lists "
    "follow what the customer did last (Keras on JAX; slow: off by default).",
    (
        Param("history", 20, "Latest items the network reads per customer (and steps per training sequence).", 1, 200),
        Param(
            "recent_steps",
            50,
            "Next-item steps trained on per customer, their latest (0 = all): recent habits, and a bounded fit time "
            "for customers with hundreds of items.",
            0,
            100_000,
        ),
        Param("embedding", 32, "Size of the item embeddings.", 1, 1024),
        Param("units", 32, "Size of the GRU's hidden state.", 1, 1024),
        Param(
            "order",
            "first",
            "Order of a customer's items: 'first' by first purchase (each step is a new item, what discovery "
            "asks), 'last' by latest purchase (a re-bought item moves to when it was bought again).",
            choices=tuple(ORDERS),
        ),
        *common_params(epochs=6, learning_rate=0.005, batch_size=64),
    ),
    default_on=False,
    slow=True,
)
def _fit_gru4rec(
    train: Feedback, params: dict, products: pd.DataFrame | None, trainset: Trainset | None
) -> FittedModel:
    return train_gru4rec(train, params)[1]
