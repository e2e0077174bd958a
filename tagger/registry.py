"""Named registries: what varies by name (input and output formats, suggest strategies,
label queues, batch engines) is registered once, and every list of it (a CLI choice, its
help, an error, a table in the manual) is made from the registry.

    STRATEGIES = Registry("strategy")

    @STRATEGIES.register("random", help="a seeded sample")
    def pick_random(...): ...

    STRATEGIES.lookup("random")   # the function; an unknown name raises, listing the names
    list(STRATEGIES)              # the names, in the order registered
    STRATEGIES.markdown_table()   # | name | help |, for the documentation

A view (``FORMATS.view("file format", keep)``) is a registry of the entries it keeps,
read live from its registry: a command offering some of the entries takes its choices
from one.

This module imports nothing of tagger but its errors: the CLI builds its options from
registries at start-up, so a registry must be importable without what its entries use.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass, field
from typing import Any, Callable, Generic, Iterator, TypeVar

from .errors import TaggerError

T = TypeVar("T")
_EVERY: "weakref.WeakSet[Registry]" = weakref.WeakSet()  # every registry made


@dataclass(frozen=True)
class Entry(Generic[T]):
    """One registered name: its value (a function, usually), a help phrase, and whatever
    else its registry's users need to know of it (``info``)."""

    name: str
    value: T
    help: str = ""
    info: dict[str, Any] = field(default_factory=dict)


class Registry(Generic[T]):
    """Values by name, in the order registered. ``kind`` names one entry in messages
    ("strategy"); ``error`` is the TaggerError an unknown name raises."""

    def __init__(self, kind: str, *, error: Callable[[str], Exception] = TaggerError):
        self.kind = kind
        self.error = error
        self._entries: dict[str, Entry[T]] = {}
        self._views: list[Registry[T]] = []  # kept alive with it (see view)
        _EVERY.add(self)

    @classmethod
    def every(cls) -> list["Registry"]:
        """Every registry made so far (the architecture test finds the CLI's choices in them)."""
        return list(_EVERY)

    def add(self, name: str, value: T, *, help: str = "", **info) -> T:
        """Register ``value`` under ``name``; a name registered twice is a mistake."""
        if name in self._entries:
            raise ValueError(f"{self.kind} {name!r} is registered twice")
        self._entries[name] = Entry(name, value, help, info)
        return value

    def unregister(self, name: str) -> None:
        """Take ``name`` out (a test's or a plugin's entry that is done with)."""
        self.entry(name)
        del self._entries[name]

    def register(self, name: str, *, help: str = "", **info) -> Callable[[T], T]:
        """Decorator: register the function (or class) under ``name``."""
        def decorate(value: T) -> T:
            return self.add(name, value, help=help, **info)
        return decorate

    def __contains__(self, name: object) -> bool:
        return name in self._entries

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._entries))

    def __len__(self) -> int:
        return len(self._entries)

    def names(self, **where) -> list[str]:
        """The names in order; with ``where``, those whose info has these values."""
        return [e.name for e in self.entries(**where)]

    def entries(self, **where) -> list[Entry[T]]:
        return [e for e in self._entries.values()
                if all(e.info.get(k) == v for k, v in where.items())]

    def entry(self, name: str) -> Entry[T]:
        """The entry of ``name``; an unknown one raises ``error``, listing the names."""
        try:
            return self._entries[name]
        except KeyError:
            raise self.error(f"unknown {self.kind} {name!r} (use {', '.join(self)})") from None

    def lookup(self, name: str) -> T:
        """The value of ``name``; an unknown one raises ``error``, listing the names."""
        return self.entry(name).value

    def values(self) -> list[T]:
        """The values, in the order registered."""
        return [e.value for e in self._entries.values()]

    def get(self, name: str, default=None):
        entry = self._entries.get(name)
        return default if entry is None else entry.value

    def choices(self) -> list[str]:
        """For ``click.Choice``: the names, in order."""
        return list(self)

    def help_text(self, *, quote: str = "", sep: str = "; ", form: str = "{name}: {help}") -> str:
        """The entries as one phrase for a help text: "a: does this; b: does that; c" (an
        entry with no help is its name alone)."""
        return sep.join(form.format(name=f"{quote}{e.name}{quote}", help=e.help) if e.help
                        else f"{quote}{e.name}{quote}" for e in self._entries.values())

    def listing(self, conj: str = "or", quote: str = "'") -> str:
        """The names as a phrase: "'a', 'b' or 'c'"."""
        names = [f"{quote}{n}{quote}" for n in self]
        return names[0] if len(names) == 1 else ", ".join(names[:-1]) + f" {conj} " + names[-1]

    def markdown_rows(self, *columns: Callable[[Entry[T]], str]) -> list[str]:
        """One Markdown table row per entry, its cells made by ``columns`` (default: the
        name in backticks and its help); ``|`` in a cell is escaped, a newline a space."""
        columns = columns or (lambda e: f"`{e.name}`", lambda e: e.help)
        return ["| " + " | ".join(" ".join(str(c(e)).replace("|", "\\|").split())
                                  for c in columns) + " |"
                for e in self._entries.values()]

    def markdown_table(self, *columns: Callable[[Entry[T]], str],
                       header: tuple[str, ...] = ("name", "help")) -> str:
        """The registry as a Markdown table, for the documentation: a ``header`` row, then
        :meth:`markdown_rows` (by default: name | help)."""
        lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header),
                 *self.markdown_rows(*columns)]
        return "\n".join(lines) + "\n"

    def view(self, kind: str, keep: Callable[[Entry[T]], bool]) -> "Registry[T]":
        """A registry of the entries ``keep`` accepts (the formats that write a file, say),
        read from this one whenever it is asked, so an entry added later is in it too.
        It lives as long as this registry, and cannot be added to."""
        view = _View(self, kind, keep)
        self._views.append(view)
        return view


class _View(Registry[T]):
    """The entries of ``parent`` that ``keep`` accepts, as they are now."""

    def __init__(self, parent: Registry[T], kind: str, keep: Callable[[Entry[T]], bool]):
        self.kind, self.error, self._views = kind, parent.error, []
        self._parent, self._keep = parent, keep
        _EVERY.add(self)

    @property
    def _entries(self) -> dict[str, Entry[T]]:  # type: ignore[override]
        return {e.name: e for e in self._parent.entries() if self._keep(e)}

    def add(self, name: str, value: T, *, help: str = "", **info) -> T:
        raise TypeError(f"add {name!r} to the registry this {self.kind} view is of")

    def unregister(self, name: str) -> None:
        raise TypeError(f"take {name!r} out of the registry this {self.kind} view is of")
