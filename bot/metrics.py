"""Prometheus metrics shared across the bot. Label values are bounded: never ids or free text."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

BUS_OPERATIONS = Counter(
    "bus_operations_total",
    "Event bus operations by channel, operation and outcome.",
    ["channel", "operation", "status"],
)
BUS_LATENCY = Histogram(
    "bus_delivery_latency_seconds",
    "Time from publish to the start of delivery to a subscriber.",
    ["channel"],
    buckets=(0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05, 0.25, 1.0),
)
COMMANDS = Counter(
    "discord_commands_total", "Commands handled, by command and outcome.", ["command", "status"]
)
COMMAND_DURATION = Histogram(
    "discord_command_duration_seconds",
    "Time from a command arriving to its answer.",
    ["command"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
CONFIG_RELOADS = Counter("config_reloads_total", "Configuration reloads by outcome.", ["status"])
LAVALINK_EVENTS = Counter(
    "lavalink_events_total", "Lavalink events received, by type and status.", ["type", "status"]
)
NODES_UP = Gauge("lavalink_nodes_up", "Lavalink nodes currently connected.")
NODE_STATES = ("up", "reconnecting", "down", "connecting")
NODE_STATE = Gauge(
    "lavalink_node_state",
    "1 for each configured node's current state (up, reconnecting, down, connecting).",
    ["node", "state"],
)
PLAYERS = Gauge("audio_players", "Players that exist.")
PLAYING_PLAYERS = Gauge("audio_playing_players", "Players playing a track now.")
TRACK_SECONDS = Counter(
    "audio_track_duration_seconds_total", "Seconds of audio started, by the length of the tracks."
)
