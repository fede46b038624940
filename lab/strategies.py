"""The registry of systems, their axes, and the strategies of each axis.

A *strategy* is a named implementation of one *axis* of a *system*. The registry
holds only metadata (description, requirements); each system's scenario maps
the chosen names to code. It answers: which systems, which axes, which
strategies, which combinations are valid, and why a strategy cannot run here.
"""

from __future__ import annotations

import importlib.util
import itertools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from lab import services
from lab.errors import UsageError

__all__ = [
    "Strategy",
    "Axis",
    "Option",
    "Command",
    "Sweep",
    "System",
    "register",
    "get_system",
    "systems",
    "REGISTRY",
    "label",
    "parse_settings",
]


@dataclass(frozen=True)
class Strategy:
    """One named implementation: what it is and what it needs to run."""

    name: str
    description: str
    packages: tuple[str, ...] = ()
    services: tuple[str, ...] = ()
    #: Why memray's peak heap of this process would not cover the strategy's work, if it would not.
    memory_note: str | None = None
    #: Why the peak heap of one call moves from process to process, if it does (asv's
    #: ``track_peak_heap`` leaves such strategies out: a regression check needs a repeatable figure).
    heap_note: str | None = None

    def unavailable(self) -> str | None:
        """``None`` when it can run here, else the reason it cannot."""
        for package in self.packages:
            if importlib.util.find_spec(package) is None:
                return f"needs the Python package {package!r} (pip install {package})"
        for service in self.services:
            reason = services.reachable(service)
            if reason:
                return reason
        return None


@dataclass(frozen=True)
class Axis:
    """A place where an implementation can be swapped; ``reference`` is the baseline."""

    name: str
    description: str
    strategies: tuple[Strategy, ...]
    reference: str

    def names(self) -> list[str]:
        return [s.name for s in self.strategies]

    def get(self, name: str) -> Strategy:
        for s in self.strategies:
            if s.name == name:
                return s
        raise UsageError(
            f"unknown strategy {name!r} for axis {self.name!r} (choose from: {', '.join(self.names())})"
        )

    def preference(self) -> list[Strategy]:
        """The reference first, then the others in declared order."""
        ref = self.get(self.reference)
        return [ref] + [s for s in self.strategies if s is not ref]


Choices = dict[str, str]


@dataclass(frozen=True)
class Option:
    """A ``lab run`` option a system declares for itself: ``Option("--input", "your own CSV")``.

    Its value reaches the system's ``open_input`` and ``settings_from`` hooks under
    :attr:`dest` (``None`` when not given). ``instead_of_tier``: the option names a workload
    of its own (a user's file), so ``lab run`` refuses it together with ``--tier``.
    """

    flag: str
    help: str
    type: Callable[[str], Any] = str
    metavar: str | None = None
    instead_of_tier: bool = False

    @property
    def dest(self) -> str:
        return self.flag.lstrip("-").replace("-", "_")


@dataclass(frozen=True)
class Command:
    """A ``lab`` subcommand a system adds (``lab serve``): ``main(argv, prog)`` parses its own
    arguments and returns the exit code."""

    name: str
    help: str
    main: Callable[[Sequence[str], str], int]


@dataclass(frozen=True)
class Sweep:
    """What a system's default sweep (``lab sweep`` with no tiers or axes, ``make run``) covers:
    each strategy of ``axes`` (all, when empty) one at a time, at ``tiers``, ``repeat`` times.
    A system chooses it so that every system's sweep together fits the main job's budget;
    ``repeat`` stays at 5 or more, so that ``lab compare`` can judge two sweeps (4 + 4 samples
    are the fewest a Mann-Whitney U test at 0.05 can call significant)."""

    tiers: tuple[str, ...] = ("small", "medium", "large")
    axes: tuple[str, ...] = ()
    repeat: int = 5


def _always(axis: str, chosen: Mapping[str, str]) -> bool:
    return True


def _no_conflict(choices: Mapping[str, str]) -> str | None:
    return None


def _stored_only(tier: Any) -> str | None:
    if getattr(tier, "stored", True):
        return None
    return f"the {tier.name} tier is streamed from a generator, and this system has no streamed workload"


@dataclass(frozen=True)
class System:
    """A system: its axes, its tunable parameters, its rules for combining strategies, and
    its lifecycle. Callers never call these hooks themselves: :class:`lab.scenario.Scenario`
    is the one way to run a system.

    Rules: ``applies(axis, chosen)`` says whether an axis matters given earlier choices
    (a peer engine has no reader); ``conflict(choices)`` gives the reason a full
    combination cannot work, or ``None``; ``refuses(tier)`` the reason a tier cannot be
    prepared (by default, tiers streamed from a generator).

    Lifecycle: ``prepare(tier, seed, progress=None)`` makes (and caches) the workload;
    ``setup(workload, choices, params)`` returns the state a run needs (connections, a
    schema, a warmed cache, a started server; default: the workload itself), outside the
    timed region; ``run(state, **choices, **params, **options)`` is the timed scenario and
    returns an :class:`lab.outcome.Outcome`; ``reset(state)`` runs untimed between repeats;
    ``teardown(state)`` always, after errors and Ctrl-C too. A stateless system needs
    only ``prepare`` and ``run``.

    Command line: ``options`` are the system's own ``lab run`` options;
    ``open_input(values, tier, seed, progress)`` returns ``(workload, tier label)`` when
    those options name the input (a user's own file), else ``None`` for the tier's
    workload; ``settings_from(values)`` turns options into ``--set`` pairs; ``render(outcome)``
    gives what ``lab run`` prints of the answer (rich renderables or strings). ``unit`` names
    the items a run does (rows, transactions, requests) in tables and plots; ``sweep`` says
    what its default sweep covers; ``commands`` are ``lab`` subcommands of its own.
    """

    name: str
    description: str
    unit: str
    axes: tuple[Axis, ...]
    params: Mapping[str, int] = field(default_factory=dict)
    applies: Callable[[str, Mapping[str, str]], bool] = _always
    conflict: Callable[[Mapping[str, str]], str | None] = _no_conflict
    refuses: Callable[[Any], str | None] = _stored_only
    prepare: Callable[..., Any] | None = None
    setup: Callable[[Any, Mapping[str, str], Mapping[str, Any]], Any] | None = None
    run: Callable[..., Any] | None = None
    reset: Callable[[Any], None] | None = None
    teardown: Callable[[Any], None] | None = None
    options: tuple[Option, ...] = ()
    open_input: Callable[..., tuple[Any, str] | None] | None = None
    settings_from: Callable[[Mapping[str, Any]], dict[str, str]] | None = None
    render: Callable[[Any], Sequence[Any]] | None = None
    sweep: Sweep = field(default_factory=Sweep)
    commands: tuple[Command, ...] = ()

    def axis(self, name: str) -> Axis:
        for a in self.axes:
            if a.name == name:
                return a
        raise UsageError(
            f"unknown axis {name!r} for system {self.name!r} "
            f"(choose from: {', '.join(a.name for a in self.axes)})"
        )

    def split(self, settings: Mapping[str, str]) -> tuple[Choices, dict[str, int]]:
        """Separate ``--set`` pairs into axis choices and integer parameters."""
        choices: Choices = {}
        params: dict[str, int] = {}
        for key, value in settings.items():
            if key in self.params:
                try:
                    params[key] = int(value)
                except ValueError:
                    raise UsageError(f"parameter {key!r} takes a whole number, not {value!r}") from None
            else:
                self.axis(key).get(value)
                choices[key] = value
        return choices, params

    def resolve(self, settings: Mapping[str, str], *, here: bool = True) -> tuple[Choices, dict[str, int]]:
        """``--set`` pairs as every axis's choice (unset axes at their reference) and the
        parameters; with ``here``, a :class:`UsageError` when the combination cannot run here."""
        given, params = self.split(settings)
        choices = self.complete(given)
        reason = self.unavailable(choices) if here else None
        if reason:
            raise UsageError(f"cannot run {label(choices)} here: {reason}")
        return choices, params

    def complete(self, given: Mapping[str, str]) -> Choices:
        """Fill the axes not given with the first compatible strategy, reference first.

        Raises :class:`UsageError` when the given choices cannot work together.
        """
        for key, value in given.items():
            self.axis(key).get(value)
        chosen: Choices = {}
        for axis in self.axes:
            if not self.applies(axis.name, chosen):
                if axis.name in given:
                    raise UsageError(
                        f"axis {axis.name!r} does not apply to "
                        + ", ".join(f"{k}={v}" for k, v in chosen.items())
                    )
                continue
            if axis.name in given:
                chosen[axis.name] = given[axis.name]
                continue
            for strategy in axis.preference():
                trial = {**chosen, axis.name: strategy.name}
                if self._partial_ok(trial, given):
                    chosen = trial
                    break
        reason = self.conflict(chosen)
        if reason:
            raise UsageError(f"{label(chosen)} cannot work: {reason}")
        return chosen

    def _partial_ok(self, trial: Choices, given: Mapping[str, str]) -> bool:
        probe = {**trial, **{k: v for k, v in given.items() if k not in trial}}
        return self.conflict(probe) is None

    def combinations(self, axis: str | None = None) -> list[Choices]:
        """Every valid combination, or, with ``axis``, each strategy of it with the rest completed."""
        if axis is not None:
            out = []
            for strategy in self.axis(axis).strategies:
                try:
                    out.append(self.complete({axis: strategy.name}))
                except UsageError:
                    continue
            return out
        combos: list[Choices] = []
        for names in itertools.product(*(a.names() for a in self.axes)):
            chosen: Choices = {}
            for a, n in zip(self.axes, names, strict=True):
                if self.applies(a.name, chosen):
                    chosen[a.name] = n
            if self.conflict(chosen) is None and chosen not in combos:
                combos.append(chosen)
        return combos

    def one_at_a_time(self, axes: Sequence[str] | None = None) -> list[Choices]:
        """Each strategy of each axis (default: every axis), the others at their reference;
        each combination once. Far fewer than :meth:`combinations`, and each differs from
        the reference on one axis only."""
        plan: list[Choices] = []
        for axis in axes or [a.name for a in self.axes]:
            plan += [c for c in self.combinations(axis) if c not in plan]
        return plan

    def reference(self) -> Choices:
        """The combination every result is compared against: each axis at its reference."""
        return self.complete({})

    def memory_untracked(self, choices: Mapping[str, str]) -> str | None:
        """Why the peak heap of this process would not measure a combination, or ``None``."""
        return self._first_note(choices, "memory_note")

    def heap_unrepeatable(self, choices: Mapping[str, str]) -> str | None:
        """Why the peak heap of one call of a combination does not repeat across processes, or ``None``."""
        return self._first_note(choices, "heap_note")

    def _first_note(self, choices: Mapping[str, str], note: str) -> str | None:
        """The first chosen strategy's ``note`` field, named ``axis=strategy: note``, or ``None``."""
        for key, value in choices.items():
            text = getattr(self.axis(key).get(value), note)
            if text:
                return f"{key}={value}: {text}"
        return None

    def unavailable(self, choices: Mapping[str, str]) -> str | None:
        """Why a combination cannot run on this machine, or ``None``."""
        for key, value in choices.items():
            reason = self.axis(key).get(value).unavailable()
            if reason:
                return f"{key}={value} {reason}"
        return None


REGISTRY: dict[str, System] = {}


def register(system: System) -> System:
    """Add ``system`` to the registry (idempotent by name) and return it."""
    REGISTRY[system.name] = system
    return system


def get_system(name: str) -> System:
    """The registered system called ``name``; a :class:`UsageError` names the valid ones."""
    try:
        return REGISTRY[name]
    except KeyError:
        raise UsageError(f"unknown system {name!r} (choose from: {', '.join(REGISTRY)})") from None


def systems() -> list[System]:
    return list(REGISTRY.values())


def label(choices: Mapping[str, str]) -> str:
    """A short human label for a combination: ``reader=list stats=welford``."""
    return " ".join(f"{k}={v}" for k, v in choices.items())


def parse_settings(pairs: Sequence[str]) -> dict[str, str]:
    """``["reader=list", "chunk_size=1000"]`` (``--set`` pairs) as a dict for :meth:`System.split`;
    a malformed pair is a UsageError."""
    settings = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key or not value:
            raise UsageError(f"--set takes AXIS=NAME, not {pair!r}")
        settings[key.strip()] = value.strip()
    return settings
