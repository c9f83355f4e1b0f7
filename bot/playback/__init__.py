"""Playback: one session per guild, driven by bus commands and Lavalink events."""
