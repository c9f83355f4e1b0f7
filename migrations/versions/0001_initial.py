"""Initial schema: guild settings, queues, profiles, playlists, audit log, flags, history.

Revision ID: 0001_initial
Revises:
Create Date: 2025-01-01 00:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001_initial"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copies of the model types: a revision must not change when models do.
SURROGATE_KEY = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
JSON_DOCUMENT = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    """Create every table of the initial schema."""
    op.create_table(
        "guild_configs",
        sa.Column("guild_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("default_volume", sa.Integer(), nullable=False),
        sa.Column("dj_role_id", sa.BigInteger(), nullable=True),
        sa.Column("announce_channel_id", sa.BigInteger(), nullable=True),
        sa.Column("stay_247", sa.Boolean(), nullable=False),
        sa.Column("autoplay_mode", sa.String(length=16), nullable=False),
        sa.Column("max_queue_length", sa.Integer(), nullable=False),
        sa.Column("max_track_length_s", sa.Integer(), nullable=True),
        sa.Column("allowed_sources", JSON_DOCUMENT, nullable=True),
        sa.Column("language", sa.String(length=16), nullable=False),
        sa.Column("vote_skip_ratio", sa.Float(), nullable=False),
        sa.Column("default_source", sa.String(length=32), nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("guild_id", name=op.f("pk_guild_configs")),
    )
    op.create_table(
        "queues",
        sa.Column("guild_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("current_index", sa.Integer(), nullable=False),
        sa.Column("position_ms", sa.BigInteger(), nullable=False),
        sa.Column("loop_mode", sa.String(length=16), nullable=False),
        sa.Column("volume", sa.Integer(), nullable=False),
        sa.Column("paused", sa.Boolean(), nullable=False),
        sa.Column("voice_channel_id", sa.BigInteger(), nullable=True),
        sa.Column("text_channel_id", sa.BigInteger(), nullable=True),
        sa.Column("node_label", sa.String(length=64), nullable=True),
        sa.Column("now_playing_message_id", sa.BigInteger(), nullable=True),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("guild_id", name=op.f("pk_queues")),
    )
    op.create_table(
        "queue_items",
        sa.Column("id", SURROGATE_KEY, autoincrement=True, nullable=False),
        sa.Column("guild_id", sa.BigInteger(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("encoded", sa.Text(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("author", sa.Text(), nullable=False),
        sa.Column("length_ms", sa.BigInteger(), nullable=False),
        sa.Column("uri", sa.Text(), nullable=True),
        sa.Column("source", sa.String(length=32), nullable=True),
        sa.Column("requester_id", sa.BigInteger(), nullable=False),
        sa.Column("added_at", TIMESTAMP, nullable=False),
        sa.Column("is_autoplay", sa.Boolean(), nullable=False),
        sa.Column("identifier", sa.Text(), nullable=False),
        sa.Column("artwork_url", sa.Text(), nullable=True),
        sa.Column("is_stream", sa.Boolean(), nullable=False),
        sa.Column("is_seekable", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["guild_id"],
            ["queues.guild_id"],
            name=op.f("fk_queue_items_guild_id_queues"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_queue_items")),
        sa.UniqueConstraint("guild_id", "position", name=op.f("uq_queue_items_guild_id_position")),
    )
    op.create_table(
        "user_profiles",
        sa.Column("user_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("preferences", JSON_DOCUMENT, nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_user_profiles")),
    )
    op.create_table(
        "saved_playlists",
        sa.Column("id", SURROGATE_KEY, autoincrement=True, nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_profiles.user_id"],
            name=op.f("fk_saved_playlists_user_id_user_profiles"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_saved_playlists")),
        sa.UniqueConstraint("user_id", "name", name=op.f("uq_saved_playlists_user_id_name")),
    )
    op.create_table(
        "saved_playlist_items",
        sa.Column("id", SURROGATE_KEY, autoincrement=True, nullable=False),
        sa.Column("playlist_id", SURROGATE_KEY, nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("encoded", sa.Text(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("author", sa.Text(), nullable=False),
        sa.Column("length_ms", sa.BigInteger(), nullable=False),
        sa.Column("uri", sa.Text(), nullable=True),
        sa.Column("source", sa.String(length=32), nullable=True),
        sa.ForeignKeyConstraint(
            ["playlist_id"],
            ["saved_playlists.id"],
            name=op.f("fk_saved_playlist_items_playlist_id_saved_playlists"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_saved_playlist_items")),
        sa.UniqueConstraint(
            "playlist_id", "position", name=op.f("uq_saved_playlist_items_playlist_id_position")
        ),
    )
    op.create_table(
        "audit_log",
        sa.Column("id", SURROGATE_KEY, autoincrement=True, nullable=False),
        sa.Column("guild_id", sa.BigInteger(), nullable=True),
        sa.Column("user_id", sa.BigInteger(), nullable=True),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("detail", JSON_DOCUMENT, nullable=False),
        sa.Column("correlation_id", sa.String(length=64), nullable=True),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    op.create_index(
        "ix_audit_log_guild_id_created_at", "audit_log", ["guild_id", "created_at"], unique=False
    )
    op.create_index(op.f("ix_audit_log_created_at"), "audit_log", ["created_at"], unique=False)
    op.create_table(
        "feature_flags",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("guild_id", sa.BigInteger(), nullable=True),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feature_flags")),
        sa.UniqueConstraint("name", "guild_id", name=op.f("uq_feature_flags_name_guild_id")),
    )
    op.create_index(
        "uq_feature_flags_global_name",
        "feature_flags",
        ["name"],
        unique=True,
        sqlite_where=sa.text("guild_id IS NULL"),
        postgresql_where=sa.text("guild_id IS NULL"),
    )
    op.create_table(
        "play_history",
        sa.Column("id", SURROGATE_KEY, autoincrement=True, nullable=False),
        sa.Column("guild_id", sa.BigInteger(), nullable=False),
        sa.Column("encoded", sa.Text(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("author", sa.Text(), nullable=False),
        sa.Column("uri", sa.Text(), nullable=True),
        sa.Column("identifier", sa.Text(), nullable=True),
        sa.Column("source", sa.String(length=32), nullable=True),
        sa.Column("requester_id", sa.BigInteger(), nullable=True),
        sa.Column("played_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_play_history")),
    )
    op.create_index(
        "ix_play_history_guild_id_played_at",
        "play_history",
        ["guild_id", "played_at"],
        unique=False,
    )
    op.create_index(op.f("ix_play_history_played_at"), "play_history", ["played_at"], unique=False)


def downgrade() -> None:
    """Drop every table of the initial schema."""
    op.drop_index(op.f("ix_play_history_played_at"), table_name="play_history")
    op.drop_index("ix_play_history_guild_id_played_at", table_name="play_history")
    op.drop_table("play_history")
    op.drop_index("uq_feature_flags_global_name", table_name="feature_flags")
    op.drop_table("feature_flags")
    op.drop_index(op.f("ix_audit_log_created_at"), table_name="audit_log")
    op.drop_index("ix_audit_log_guild_id_created_at", table_name="audit_log")
    op.drop_table("audit_log")
    op.drop_table("saved_playlist_items")
    op.drop_table("saved_playlists")
    op.drop_table("user_profiles")
    op.drop_table("queue_items")
    op.drop_table("queues")
    op.drop_table("guild_configs")
