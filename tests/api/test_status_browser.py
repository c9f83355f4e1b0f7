"""The status page in headless Chromium (Debian's /usr/bin/chromium, driven by Playwright).

No browser is downloaded: Playwright starts the system Chromium. Without it the
test fails, saying how to install it (`.ci/run` does), rather than skipping.
Set UPDATE_SCREENSHOT=1 to refresh docs/status-page.png from this test.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, async_playwright, expect

from tests.api.conftest import Api, serving
from tests.e2e.harness import GuildWorld

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
HAVE_CHROMIUM = CHROMIUM.exists()
XSS_TITLE = "<img src=x onerror=alert(1)>"
SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "status-page.png"
PHONE = {"width": 390, "height": 844}


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    """Headless Debian Chromium."""
    if not HAVE_CHROMIUM:
        pytest.fail(
            f"{CHROMIUM} is missing: the status page test needs Debian's Chromium. "
            "Install it with `apt-get install -y chromium chromium-driver` (.ci/run does).",
            pytrace=False,
        )
    expect.set_options(timeout=5_000)
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        yield launched
        await launched.close()


async def open_page(browser: Browser, api: Api) -> tuple[Page, list[str]]:
    """The status page on a phone-sized screen; returns it and a list of alerts and errors."""
    page = await browser.new_page(viewport=PHONE)
    problems: list[str] = []

    async def on_dialog(dialog: object) -> None:
        problems.append(f"dialog: {dialog.message}")  # type: ignore[attr-defined]
        await dialog.dismiss()  # type: ignore[attr-defined]

    page.on("dialog", on_dialog)
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    await page.goto(api.base + "/")
    return page, problems


async def play_in(api: Api, world: GuildWorld, *urls: str) -> None:
    """Alice of `world` joins its voice channel and plays `urls` from Discord."""
    await api.h.join(world=world)
    for url in urls:
        await api.h.reply("play", world=world, query=url)


async def test_status_page_shows_playing_guild_updates_live_and_escapes(
    tmp_path: Path, browser: Browser
) -> None:
    """Loads, shows the playing guild and node, follows a track change, shows XSS as text."""
    async with serving(tmp_path, show_guild_names=True) as api:
        api.h.add_tracks(2)
        api.h.lavalink.add_track(
            title=XSS_TITLE,
            author="<b>not bold</b>",
            length=200_000,
            identifier="xss",
            uri="https://example.com/xss",
        )
        await play_in(api, api.h.world, "https://example.com/t1", "https://example.com/t2")
        await api.h.playing("t1")
        page, problems = await open_page(browser, api)

        title = page.locator("#guilds .guild .title")
        await expect(title).to_have_text("Track T1")
        await expect(page.locator("#guilds .guild-name")).to_have_text("Guild A")
        await expect(page.locator("#guilds .queue")).to_have_text("1 in queue")
        await expect(page.locator("#nodes .node-name")).to_have_text(api.h.lavalink.label)
        await expect(page.locator("#live")).to_have_text("live")

        await api.h.reply("skip")
        await expect(title).to_have_text("Track T2")

        await api.h.reply("play", query="https://example.com/xss")
        await api.h.reply("skip")
        await expect(title).to_have_text(XSS_TITLE)
        await expect(page.locator("#guilds .author")).to_have_text("<b>not bold</b>")
        assert await page.locator("#guilds img, #guilds b").count() == 0
        fits = await page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        assert fits, "the page scrolls sideways on a phone"
        assert problems == []
        await page.screenshot(path=str(tmp_path / "status-page.png"), full_page=True)


async def test_guild_leaving_disappears_from_the_page(tmp_path: Path, browser: Browser) -> None:
    """When the bot leaves, its guild goes from the list and the empty state shows."""
    async with serving(tmp_path) as api:
        await api.start_playing(1)
        page, _ = await open_page(browser, api)
        await expect(page.locator("#guilds .guild")).to_have_count(1)
        await expect(page.locator("#guilds .guild-name")).to_have_count(0)  # names hidden
        await api.h.reply("leave")
        await expect(page.locator("#guilds .guild")).to_have_count(0)
        await expect(page.locator("#nothing")).to_be_visible()


@pytest.mark.skipif(not os.environ.get("UPDATE_SCREENSHOT"), reason="set UPDATE_SCREENSHOT=1")
async def test_update_docs_screenshot(tmp_path: Path, browser: Browser) -> None:
    """Refresh docs/status-page.png: two guilds playing, names shown."""
    async with serving(tmp_path, show_guild_names=True) as api:
        api.h.add_tracks(3, prefix="a")
        api.h.lavalink.add_track(
            title="Bohemian Rhapsody (Remastered 2011)",
            author="Queen",
            length=354_000,
            identifier="b1",
            uri="https://example.com/b1",
        )
        await play_in(api, api.h.world, *(f"https://example.com/a{i}" for i in (1, 2, 3)))
        await play_in(api, api.other, "https://example.com/b1")
        await api.h.playing("b1", guild=api.other)
        await api.h.lavalink.send_stats()
        page = await browser.new_page(viewport={"width": 900, "height": 560})
        await page.goto(api.base + "/")
        await expect(page.locator("#guilds .guild")).to_have_count(2)
        SCREENSHOT.parent.mkdir(exist_ok=True)
        await page.screenshot(path=str(SCREENSHOT))
