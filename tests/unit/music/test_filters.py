"""Effect presets as Lavalink filters: valid values, stacking rules, mafic's Filter."""

from __future__ import annotations

from typing import Any

import mafic
import pytest

from bot.errors import UserError
from bot.music.filters import PRESETS, Effect, EffectChain

# Value ranges from Lavalink's docs/api/rest.md#filters.
RANGES: dict[tuple[str, str], tuple[float, float]] = {
    ("timescale", "speed"): (0.0, float("inf")),
    ("timescale", "pitch"): (0.0, float("inf")),
    ("timescale", "rate"): (0.0, float("inf")),
    ("tremolo", "frequency"): (1e-9, float("inf")),
    ("tremolo", "depth"): (1e-9, 1.0),
    ("vibrato", "frequency"): (1e-9, 14.0),
    ("vibrato", "depth"): (1e-9, 1.0),
    ("karaoke", "level"): (0.0, 1.0),
    ("karaoke", "monoLevel"): (0.0, 1.0),
    ("lowPass", "smoothing"): (1.0 + 1e-9, float("inf")),
}


def chain(*effects: Effect) -> EffectChain:
    result = EffectChain()
    for effect in effects:
        result = result.with_effect(effect)
    return result


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_every_preset_is_valid_lavalink(name: str) -> None:
    """Each preset uses documented filters with values in their documented ranges."""
    filters: dict[str, Any] = Effect(name).filters
    for key, value in filters.items():
        if key == "equalizer":
            assert all(0 <= b["band"] <= 14 and -0.25 <= b["gain"] <= 1.0 for b in value)
            continue
        for field, number in value.items():
            low, high = RANGES.get((key, field), (float("-inf"), float("inf")))
            assert low <= number <= high, (key, field, number)


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_mafic_filter_sends_exactly_the_preset(name: str) -> None:
    """mafic's Filter built from a chain has the chain's payload, unchanged."""
    effects = chain(Effect(name))
    assert effects.to_filter().payload == effects.payload() == Effect(name).filters


def test_effects_on_different_filters_stack() -> None:
    """Bass boost and nightcore use different filters: both stay, in order."""
    effects = chain(Effect("bassboost_low"), Effect("nightcore"))
    assert effects.labels == ("Bass boost (low)", "Nightcore")
    assert set(effects.payload()) == {"equalizer", "timescale"}


def test_an_effect_replaces_those_setting_the_same_values() -> None:
    """Vaporwave sets the equalizer and the timescale: it replaces bass boost and nightcore."""
    effects = chain(Effect("bassboost_high"), Effect("nightcore"), Effect("vaporwave"))
    assert effects.labels == ("Vaporwave",)


def test_speed_and_pitch_combine_into_one_timescale() -> None:
    """They set different timescale fields; nightcore sets both and replaces them."""
    effects = chain(Effect("speed", 1.25), Effect("pitch", 0.9))
    assert effects.payload() == {"timescale": {"speed": 1.25, "pitch": 0.9}}
    assert effects.labels == ("Speed 1.25×", "Pitch 0.9×")
    assert chain(*effects.effects, Effect("nightcore")).labels == ("Nightcore",)


def test_same_effect_again_moves_it_last_and_one_means_normal() -> None:
    """Setting speed twice keeps the last value; speed 1 removes the speed effect."""
    effects = chain(Effect("speed", 1.5), Effect("karaoke"), Effect("speed", 0.75))
    assert effects.labels == ("Karaoke", "Speed 0.75×")
    assert chain(*effects.effects, Effect("speed", 1.0)).labels == ("Karaoke",)


def test_rate_follows_the_timescale() -> None:
    """The track position moves at speed × rate (for the now-playing estimate)."""
    assert EffectChain().rate == 1.0
    assert chain(Effect("nightcore")).rate == pytest.approx(1.3)


@pytest.mark.parametrize(("name", "value"), [("speed", 3.0), ("pitch", 0.1), ("speed", None)])
def test_out_of_range_speed_and_pitch_are_refused(name: str, value: float | None) -> None:
    """Speed and pitch go from 0.5 to 2."""
    with pytest.raises(UserError, match=r"0\.5 to 2"):
        Effect(name, value)


def test_unknown_effect_is_refused() -> None:
    """A name that is no preset is a user error, not a KeyError."""
    with pytest.raises(UserError, match="don't know the effect"):
        Effect("reverb")


def test_empty_chain_clears_every_filter() -> None:
    """No effects: Lavalink gets `{}`, which replaces every filter."""
    assert EffectChain().payload() == {} == EffectChain().to_filter().payload
    assert isinstance(EffectChain().to_filter(), mafic.Filter)


def test_saved_chain_comes_back_the_same_without_unknown_effects() -> None:
    """`to_data` and `from_data` round-trip; a preset this version lacks is left out."""
    effects = chain(Effect("bassboost_high"), Effect("speed", 1.25), Effect("pitch", 0.8))
    assert EffectChain.from_data(effects.to_data()) == effects
    data = [{"name": "reverb"}, {"name": "nightcore"}, {"value": 2}, "8d"]
    assert EffectChain.from_data(data).labels == ("Nightcore",)
