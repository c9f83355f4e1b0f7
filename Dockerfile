# Build wheels for the dependencies, then run from a slim image as a non-root user.
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY bot bot
COPY cogs cogs
# Optional features baked in: OpenTelemetry tracing and Sentry error reports (off until configured).
ARG EXTRAS=tracing,errors
RUN pip wheel --no-cache-dir --wheel-dir /wheels ".[${EXTRAS}]"

FROM python:3.11-slim
RUN useradd --create-home --uid 10001 bot && mkdir /data && chown bot:bot /data
WORKDIR /app
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir /wheels/*.whl && rm -rf /wheels
# The code stays owned by root (the bot cannot change it); compiled once here because
# the bot's user cannot write __pycache__ at run time.
COPY bot bot
COPY cogs cogs
COPY migrations migrations
COPY config.example.toml ./
RUN python -m compileall -q bot cogs migrations
# Numeric, so Kubernetes' runAsNonRoot can verify it.
USER 10001:10001
ENV BOT_DATA_DIR=/data BOT_API__HOST=0.0.0.0 PYTHONUNBUFFERED=1
VOLUME ["/data"]
EXPOSE 8080
# /health on the API port (BOT_API__PORT when set); a refused connection also exits non-zero.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s \
  CMD ["python", "-c", "import os, sys, urllib.request; port = os.environ.get('BOT_API__PORT', '8080'); sys.exit(0 if urllib.request.urlopen(f'http://127.0.0.1:{port}/health', timeout=4).status == 200 else 1)"]
ENTRYPOINT ["python", "-m", "bot"]
CMD ["run"]
