"""Registries of pluggable things (metrics, models, retention modes, arm templates), one shape for all.

A :class:`Registry` is an ordered mapping from a name to an entry, filled at
import time (usually by a decorator), that refuses a second entry under one
name and answers an unknown name with one message listing the choices. The
first entry registered is the default where a module needs one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Generic, TypeVar

from retention.errors import DataError

T = TypeVar("T")


class Registry(Mapping[str, T], Generic[T]):
    """Named entries of one kind, in registration order.

    Parameters
    ----------
    kind
        What an entry is, as the user reads it in errors: ``"model"``, ``"retention mode"``.
    """

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._entries: dict[str, T] = {}

    def add(self, name: str, entry: T) -> T:
        """Register ``entry`` under ``name``; a second entry under one name is a programming error."""
        if name in self._entries:
            raise ValueError(f"{self.kind} {name!r} is registered twice")
        self._entries[name] = entry
        return entry

    def register(self, name: str, make: Callable[[T], T] | None = None) -> Callable[[T], T]:
        """Decorator form of :meth:`add`: ``@REGISTRY.register("name")`` registers the decorated object.

        With ``make``, the registered entry is ``make(decorated)`` and the decorated object is returned
        unchanged (for registries whose entry wraps a function with its description).
        """

        def decorate(decorated: T) -> T:
            self.add(name, decorated if make is None else make(decorated))
            return decorated

        return decorate

    def remove(self, name: str) -> T:
        """Take ``name``'s entry out and return it: for an entry offered only for a while (a model that needs an
        engine in use, see :mod:`retention.recommend.spark_models`)."""
        return self._entries.pop(name)

    def get_or_raise(self, name: str) -> T:
        """The entry named ``name``, or a :class:`DataError` listing the choices."""
        if name not in self._entries:
            raise DataError(f"{self.kind} {name!r} is not one of {', '.join(self._entries) or 'none'}")
        return self._entries[name]

    def check(self, name: str) -> str:
        """``name`` if it is registered, else the :class:`DataError` of :meth:`get_or_raise`."""
        self.get_or_raise(name)
        return name

    @property
    def default(self) -> str:
        """The first name registered."""
        return next(iter(self._entries))

    def __getitem__(self, name: str) -> T:
        return self._entries[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def __repr__(self) -> str:
        return f"Registry({self.kind!r}, {list(self._entries)})"
