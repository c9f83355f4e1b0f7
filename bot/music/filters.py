"""Audio effects as data: presets and speed/pitch, combined into Lavalink's `filters` object.

Each effect is a fragment of Lavalink's Filters JSON (docs/api/rest.md#filters).
Effects stack: bass boost plus nightcore sends both `equalizer` and
`timescale`. An effect that sets a value another active effect sets replaces
that effect (nightcore after `speed` drops `speed`; `speed` and `pitch` set
different timescale fields and stay together), so what the now-playing message
lists is exactly what Lavalink applies.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import mafic

from bot.errors import UserError

__all__ = [
    "BASS_BOOST_LEVELS",
    "PRESETS",
    "SPEED_RANGE",
    "Effect",
    "EffectChain",
    "Preset",
]

SPEED_RANGE = (0.5, 2.0)
"""What `/filter speed` and `/filter pitch` accept (1.0 is unchanged)."""


@dataclass(frozen=True)
class Preset:
    """A named effect: its label for people and its Lavalink filters fragment."""

    name: str
    label: str
    filters: Mapping[str, Any]


def _bass(gains: tuple[float, ...]) -> dict[str, Any]:
    return {"equalizer": [{"band": band, "gain": gain} for band, gain in enumerate(gains)]}


_PRESET_LIST = (
    Preset("bassboost_low", "Bass boost (low)", _bass((0.15, 0.1, 0.05, 0.025))),
    Preset("bassboost_medium", "Bass boost (medium)", _bass((0.3, 0.25, 0.2, 0.1, 0.05))),
    Preset("bassboost_high", "Bass boost (high)", _bass((0.5, 0.45, 0.35, 0.2, 0.1, 0.05))),
    Preset("nightcore", "Nightcore", {"timescale": {"speed": 1.3, "pitch": 1.3}}),
    Preset(
        "vaporwave",
        "Vaporwave",
        {"timescale": {"speed": 0.85, "pitch": 0.8}, **_bass((0.3, 0.3))},
    ),
    Preset("8d", "8D", {"rotation": {"rotationHz": 0.2}}),
    Preset(
        "karaoke",
        "Karaoke",
        {"karaoke": {"level": 1.0, "monoLevel": 1.0, "filterBand": 220.0, "filterWidth": 100.0}},
    ),
    Preset("tremolo", "Tremolo", {"tremolo": {"frequency": 4.0, "depth": 0.75}}),
    Preset("vibrato", "Vibrato", {"vibrato": {"frequency": 4.0, "depth": 0.75}}),
    Preset("lowpass", "Low-pass", {"lowPass": {"smoothing": 20.0}}),
)
PRESETS: dict[str, Preset] = {p.name: p for p in _PRESET_LIST}
BASS_BOOST_LEVELS = ("low", "medium", "high")

# Adjustable effects: the timescale field they set.
_ADJUSTABLE = {"speed": "Speed", "pitch": "Pitch"}


@dataclass(frozen=True)
class Effect:
    """One active effect: a preset name, or `speed`/`pitch` with its factor."""

    name: str
    value: float | None = None

    def __post_init__(self) -> None:
        if self.name in _ADJUSTABLE:
            low, high = SPEED_RANGE
            if self.value is None or not low <= self.value <= high:
                raise UserError(
                    "effects.factor_range", effect=_ADJUSTABLE[self.name], low=low, high=high
                )
        elif self.name not in PRESETS:
            raise UserError("effects.unknown", name=self.name[:40])

    @property
    def filters(self) -> dict[str, Any]:
        """This effect's fragment of Lavalink's Filters object."""
        if self.name in _ADJUSTABLE:
            return {"timescale": {self.name: self.value}}
        return {key: _copy(value) for key, value in PRESETS[self.name].filters.items()}

    @property
    def label(self) -> str:
        """How the effect is shown: `Nightcore`, `Speed 1.25×`."""
        if self.name in _ADJUSTABLE:
            return f"{_ADJUSTABLE[self.name]} {self.value:g}×"
        return PRESETS[self.name].label

    def slots(self) -> set[tuple[str, str | None]]:
        """The values this effect sets: (filter, field) for objects, (filter, None) otherwise."""
        slots: set[tuple[str, str | None]] = set()
        for key, value in self.filters.items():
            if isinstance(value, Mapping):
                slots.update((key, field) for field in value)
            else:
                slots.add((key, None))
        return slots


@dataclass(frozen=True)
class EffectChain:
    """The effects active in a guild, oldest first."""

    effects: tuple[Effect, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.effects)

    def with_effect(self, effect: Effect) -> EffectChain:
        """Add `effect`, dropping the effects whose values it sets; speed/pitch 1.0 removes it."""
        taken = effect.slots()
        kept = tuple(e for e in self.effects if e.name != effect.name and not e.slots() & taken)
        if effect.name in _ADJUSTABLE and effect.value == 1.0:
            return EffectChain(kept)
        return EffectChain((*kept, effect))

    @property
    def labels(self) -> tuple[str, ...]:
        """The labels of the active effects, in the order they were turned on."""
        return tuple(e.label for e in self.effects)

    def payload(self) -> dict[str, Any]:
        """Lavalink's Filters object for the whole chain (`{}` when empty)."""
        merged: dict[str, Any] = {}
        for effect in self.effects:
            for key, value in effect.filters.items():
                if isinstance(value, Mapping):
                    merged.setdefault(key, {}).update(value)
                else:
                    merged[key] = value
        return merged

    def filter_names(self) -> set[str]:
        """The Lavalink filters the chain uses (as `/v4/info` lists them)."""
        return set(self.payload())

    def to_filter(self) -> mafic.Filter:
        """The chain as mafic's Filter (its payload is exactly `payload()`)."""
        return mafic.Filter.from_payload(self.payload())  # type: ignore[arg-type]

    def to_data(self) -> list[dict[str, Any]]:
        """The chain as JSON data for saving: `[{"name": "speed", "value": 1.25}, ...]`."""
        return [
            {"name": e.name} if e.value is None else {"name": e.name, "value": e.value}
            for e in self.effects
        ]

    @classmethod
    def from_data(cls, data: Iterable[Any]) -> EffectChain:
        """A saved chain back, leaving out what this version doesn't know (a removed preset)."""
        chain = cls()
        for item in data:
            try:
                chain = chain.with_effect(Effect(str(item["name"]), item.get("value")))
            except (UserError, KeyError, TypeError, AttributeError):
                continue
        return chain

    @property
    def rate(self) -> float:
        """How fast the track position moves in real time (timescale speed × rate)."""
        timescale = self.payload().get("timescale", {})
        return float(timescale.get("speed", 1.0)) * float(timescale.get("rate", 1.0))


def _copy(value: Any) -> Any:
    if isinstance(value, Mapping):
        return dict(value)
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value
