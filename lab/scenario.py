"""The one way to run a system: set up, call the scenario (as often as asked), reset, tear down.

Every caller (the harness, ``lab profile``, the asv and pytest-benchmark suites, the
experiments) goes through :class:`Scenario`::

    with Scenario(system, workload, choices, params) as scenario:
        outcome = scenario()       # the timed part, and nothing else
        scenario.reset()           # untimed, before the next call
"""

from __future__ import annotations

from collections.abc import Mapping
from types import TracebackType
from typing import Any

from lab.outcome import Outcome
from lab.strategies import System

__all__ = ["Scenario", "run_once"]


class Scenario:
    """``system`` ready to run one combination on ``workload``.

    Entering calls the system's ``setup`` (default: the state is the workload);
    calling runs the scenario on that state with the choices, the parameters (the
    system's defaults, overridden by ``params``) and ``options`` (passed, never
    recorded: a progress callback, a stop flag); ``reset()`` calls the system's
    ``reset``; leaving calls its ``teardown``, whatever happened inside.
    """

    def __init__(
        self,
        system: System,
        workload: Any,
        choices: Mapping[str, str],
        params: Mapping[str, Any] | None = None,
        options: Mapping[str, Any] | None = None,
    ) -> None:
        self.system = system
        self.workload = workload
        self.choices = dict(choices)
        self.params = {**system.params, **(params or {})}
        self.options = dict(options or {})
        self.state: Any = None
        self._open = False

    def __enter__(self) -> Scenario:
        setup = self.system.setup
        self.state = setup(self.workload, self.choices, self.params) if setup else self.workload
        self._open = True
        return self

    def __call__(self, **options: Any) -> Outcome:
        if not self._open:
            raise RuntimeError("enter the scenario (with Scenario(...) as s) before calling it")
        return self.system.run(self.state, **self.choices, **self.params, **self.options, **options)  # type: ignore[misc]

    def reset(self) -> None:
        """Bring the state back to where setup left it (untimed, between repeats)."""
        if self.system.reset is not None and self._open:
            self.system.reset(self.state)

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if self._open:
            self._open = False
            if self.system.teardown is not None:
                self.system.teardown(self.state)


def run_once(
    system: System,
    workload: Any,
    choices: Mapping[str, str],
    params: Mapping[str, Any] | None = None,
    **options: Any,
) -> Outcome:
    """Set up, run the scenario once, tear down: the outcome of one untimed run."""
    with Scenario(system, workload, choices, params, options) as scenario:
        return scenario()
