FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
COPY pyproject.toml README.md alembic.ini ./
COPY monitor ./monitor
COPY migrations ./migrations
RUN pip install ".[postgres]"
COPY config ./config

RUN useradd --system --uid 10001 --home-dir /data --shell /usr/sbin/nologin monitor \
    && mkdir -p /data \
    && chown monitor:monitor /data

ENV MONITOR_CONFIG=/app/config/monitor.toml \
    MONITOR_DATABASE__URL=sqlite:////data/monitor.db \
    MONITOR_EVIDENCE__DIR=/data/evidence \
    MONITOR_LOG_FORMAT=json

USER monitor
WORKDIR /data
VOLUME ["/data"]

HEALTHCHECK --interval=5m --timeout=30s --start-period=2m --retries=3 \
    CMD ["monitor", "status", "--check"]

# exec: the daemon replaces the shell as PID 1, so SIGTERM from `docker stop` reaches it.
CMD ["sh", "-c", "monitor db upgrade && exec monitor run"]
