"""Saved playlists and user preferences."""

from __future__ import annotations

from bot.db.database import Database
from bot.db.playlists import PlaylistStore
from bot.db.profiles import UserProfileStore
from bot.db.queue_store import StoredTrack
from tests.db.conftest import SNOWFLAKE


def _tracks(count: int) -> list[StoredTrack]:
    return [
        StoredTrack(
            encoded=f"enc{n}",
            title=f"Song {n}",
            author="A",
            length_ms=1000 * n,
            requester_id=SNOWFLAKE,
            uri=None,
            source="soundcloud",
        )
        for n in range(count)
    ]


async def test_save_load_list_replace_delete(database: Database) -> None:
    """A playlist keeps its order, saving under the same name replaces it, delete removes it."""
    playlists = PlaylistStore(database)
    await playlists.save(SNOWFLAKE, "gym", _tracks(3))
    await playlists.save(SNOWFLAKE, "chill", [])
    loaded = await playlists.load(SNOWFLAKE, "gym")
    assert loaded is not None
    assert [t.title for t in loaded.tracks] == ["Song 0", "Song 1", "Song 2"]
    assert loaded.tracks[2].length_ms == 2000 and loaded.tracks[0].source == "soundcloud"
    await playlists.save(SNOWFLAKE, "gym", _tracks(5)[::-1])
    assert [(s.name, s.track_count) for s in await playlists.summaries(SNOWFLAKE)] == [
        ("chill", 0),
        ("gym", 5),
    ]
    assert await playlists.delete(SNOWFLAKE, "gym") is True
    assert await playlists.load(SNOWFLAKE, "gym") is None
    assert await playlists.delete(SNOWFLAKE, "gym") is False
    assert await playlists.load(SNOWFLAKE + 1, "chill") is None


async def test_preferences_merge_and_none_removes_a_key(database: Database) -> None:
    """Preferences are merged key by key."""
    profiles = UserProfileStore(database)
    assert await profiles.preferences(SNOWFLAKE) == {}
    await profiles.update_preferences(SNOWFLAKE, volume=80, source="soundcloud")
    assert await profiles.update_preferences(SNOWFLAKE, volume=None, lang="de") == {
        "source": "soundcloud",
        "lang": "de",
    }
    assert await profiles.preferences(SNOWFLAKE) == {"source": "soundcloud", "lang": "de"}
