"""`python -m bot doctor`: checks a self-hosted setup and says how to fix each problem.

Config, Discord token and intents, every Lavalink node (reachable, password,
v4, plugins, a test search), the database (reachable, schema at head) and,
with the Redis bus, Redis (reachable, PING, version).
"""

from __future__ import annotations

from bot.doctor.checkup import doctor, run_doctor
from bot.doctor.report import CheckResult, Report, Status

__all__ = ["CheckResult", "Report", "Status", "doctor", "run_doctor"]
