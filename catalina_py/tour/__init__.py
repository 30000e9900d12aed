"""``catalina-py tour``: the guided tour of the Connector (docs/tour.md).

``catalina-py tour`` lists the scenarios; ``catalina-py tour NAME`` starts
its own instance (own temporary CATALINA_BASE, free ports, the JSON trace
on), plays the scenario with its own raw client, prints the annotated
trace of what happened and why, and exits 0 when what it observed matches
what it explains (1 when not, 2 for an unknown name, 3 when a scenario
needs nginx and nginx is not installed).
"""

from __future__ import annotations

import sys

from .nginx import find_nginx
from .scenarios import SCENARIOS, Tour

__all__ = ["main"]


def main(argv: list[str]) -> int:
    """The ``tour`` command."""
    if not argv or argv[0] in ("-h", "--help", "list"):
        print("catalina-py tour NAME: plays a scenario and explains the container's trace of it.\n")
        width = max(len(name) for name in SCENARIOS)
        for scenario in SCENARIOS.values():
            needs = "  (runs nginx)" if scenario.needs_nginx else ""
            print(f"  {scenario.name:<{width}}  {scenario.summary}{needs}")
        print("\nThe walk-through beside it: docs/tour.md.")
        return 0
    name = argv[0]
    found = SCENARIOS.get(name)
    if found is None:
        print(f"no scenario {name!r}; the scenarios are: {', '.join(SCENARIOS)}", file=sys.stderr)
        return 2
    scenario = found
    if scenario.needs_nginx and find_nginx() is None:
        print(f"{name} runs a real nginx in front of the container: nginx is not installed: apt-get install nginx")
        return 3
    tour = Tour()
    print(f"== {name}: {scenario.summary}\n")
    try:
        scenario.run(tour)
    except Exception as exc:  # the scenario could not even be played
        print(f"\nFAILED: {type(exc).__name__}: {exc}")
        return 1
    if tour.failures:
        print(f"\n{name}: {len(tour.failures)} observation(s) do not match the explanation")
        return 1
    print(f"\n{name}: what happened matches the explanation")
    return 0
