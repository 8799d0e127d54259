"""The one shape of every registry: ordered, read-only, one entry per name, errors that list the choices."""

from collections.abc import Mapping

import pytest

from retention.errors import DataError
from retention.registry import Registry


def test_entries_keep_registration_order_and_the_first_is_the_default():
    metrics = Registry("metric")
    metrics.add("precision", 1)
    metrics.add("recall", 2)
    metrics.add("ndcg", 3)
    assert list(metrics) == ["precision", "recall", "ndcg"]
    assert metrics.default == "precision"
    assert len(metrics) == 3
    assert metrics["recall"] == 2
    assert dict(metrics) == {"precision": 1, "recall": 2, "ndcg": 3}


def test_a_registry_is_a_read_only_mapping():
    models = Registry("model")
    models.add("popular", object())
    assert isinstance(models, Mapping)
    with pytest.raises(TypeError):
        models["other"] = object()  # type: ignore[index]
    assert "popular" in models and "other" not in models


def test_a_second_entry_under_one_name_is_refused_and_the_first_kept():
    modes = Registry("retention mode")
    modes.add("n_day", "first")
    with pytest.raises(ValueError, match="retention mode 'n_day' is registered twice"):
        modes.add("n_day", "second")
    with pytest.raises(ValueError, match="registered twice"):
        modes.register("n_day")(lambda: None)
    assert modes["n_day"] == "first"
    assert len(modes) == 1


def test_an_unknown_name_is_a_data_error_that_lists_the_choices():
    arms = Registry("arm template")
    arms.add("discount", 1)
    arms.add("reminder", 2)
    with pytest.raises(DataError) as error:
        arms.get_or_raise("coupon")
    assert str(error.value) == "arm template 'coupon' is not one of discount, reminder"
    with pytest.raises(DataError, match="is not one of discount, reminder"):
        arms.check("coupon")
    assert arms.get_or_raise("reminder") == 2
    assert arms.check("discount") == "discount"


def test_an_empty_registry_says_it_has_none():
    with pytest.raises(DataError, match="model 'x' is not one of none"):
        Registry("model").get_or_raise("x")


def test_the_decorator_registers_the_object_and_returns_it_unchanged():
    scorers = Registry("scorer")

    @scorers.register("double")
    def double(x: float) -> float:
        return 2 * x

    @scorers.register("klass")
    class Scorer:
        pass

    assert scorers["double"] is double and double(3) == 6
    assert scorers["klass"] is Scorer
    assert scorers.default == "double"


def test_the_decorator_with_make_registers_the_wrapped_entry_and_returns_the_original():
    described = Registry("metric")

    def describe(function):
        return {"function": function, "doc": function.__doc__}

    @described.register("hit_rate", make=describe)
    def hit_rate(hits: int, users: int) -> float:
        """Share of users with a hit."""
        return hits / users

    assert described["hit_rate"] == {"function": hit_rate, "doc": "Share of users with a hit."}
    assert hit_rate(1, 4) == pytest.approx(1 / 4)


def test_add_returns_the_entry_and_repr_names_kind_and_entries():
    registry = Registry("strategy")
    entry = object()
    assert registry.add("greedy", entry) is entry
    assert repr(registry) == "Registry('strategy', ['greedy'])"
