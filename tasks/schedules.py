"""Which sources run when: the registry's `schedule` fields grouped into one deployment per timetable.

A source without a `schedule` runs on the default timetable. Every group is a
deployment of the `collect` flow that crawls only its own sources; the group of
the default timetable keeps the plain name `collect`.
"""

from __future__ import annotations

from dataclasses import dataclass

from tasks.registry import Registry, Source

DEFAULT_CRON = "0 6 * * *"
SCHEDULE_TIMEZONE = "Europe/Stockholm"
FLOW_NAME = "collect"


class ScheduleError(ValueError):
    """A run was asked for a timetable no source of the registry has."""


@dataclass(frozen=True)
class ScheduleGroup:
    """One timetable and the sources that follow it: one deployment."""

    cron: str
    source_ids: tuple[str, ...]

    @property
    def deployment_name(self) -> str:
        return deployment_name(self.cron)


def normalise_cron(cron: str) -> str:
    """One spelling per timetable: '0  6 * * *' and '0 6 * * *' are the same schedule."""
    return " ".join(cron.split())


def effective_schedule(source: Source) -> str:
    """The cron a source runs on: its own, else the default."""
    return normalise_cron(source.schedule) if source.schedule else DEFAULT_CRON


def deployment_name(cron: str) -> str:
    """'collect' for the default timetable, 'collect (0 7 * * 1)' for others.

    Prefect names cannot hold '/', so a step ('*/15') is written with '_'.
    """
    cron = normalise_cron(cron)
    if cron == DEFAULT_CRON:
        return FLOW_NAME
    return f"{FLOW_NAME} ({cron.replace('/', '_')})"


def schedule_groups(registry: Registry) -> list[ScheduleGroup]:
    """The registry's distinct timetables with their sources, the default one first."""
    by_cron: dict[str, list[str]] = {}
    for source in registry.sources:
        by_cron.setdefault(effective_schedule(source), []).append(source.id)
    order = sorted(by_cron, key=lambda cron: (cron != DEFAULT_CRON, cron))
    return [ScheduleGroup(cron, tuple(by_cron[cron])) for cron in order]


def sources_on_schedule(registry: Registry, cron: str | None) -> tuple[Source, ...]:
    """The sources a run of this timetable crawls; None means every source.

    A timetable no source has any more (the registry changed, the deployment
    did not) is an error rather than an empty run that looks fine.
    """
    if cron is None:
        return registry.sources
    wanted = normalise_cron(cron)
    chosen = tuple(s for s in registry.sources if effective_schedule(s) == wanted)
    if not chosen:
        known = ", ".join(g.cron for g in schedule_groups(registry))
        raise ScheduleError(
            f"{registry.path}: no source has schedule '{wanted}' (schedules: {known}); "
            "redeploy after changing schedules"
        )
    return chosen
