# Two stages: the builder makes a virtualenv in /opt/monitor, the runtime image copies only that
# venv and the config. Build:  docker build -t monitor .
#
# Stopping: the daemon finishes or abandons its work within about 7 s of SIGTERM, inside Docker's
# default 10 s; give it more room with `docker stop -t 15` (compose: `stop_grace_period: 15s`).
# Data: everything written lives in /data (SQLite database, evidence), owned by uid/gid 10001.
# A named volume takes that owner from the image; for a bind mount, first run
#   sudo chown -R 10001:10001 ./data
# (or start the container with `--user "$(id -u):$(id -g)"` on a folder you own).

FROM python:3.11-slim AS builder

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

RUN python -m venv /opt/monitor
ENV PATH=/opt/monitor/bin:$PATH

WORKDIR /src
# Dependencies first, from the pinned set: this layer is rebuilt only when constraints.txt changes,
# not on every code change. constraints.txt pins the optional extras too: psycopg (`postgres`),
# Apprise (`chat`, the chat alerts) and Pillow (`images`, the logo signal and the blank-screenshot
# check), so the image has all of them although the project below is installed with --no-deps.
COPY constraints.txt ./
RUN pip install -r constraints.txt

# Then the project itself, without touching the pinned dependencies; `pip check` fails the build
# when pyproject.toml needs something constraints.txt does not pin.
COPY pyproject.toml README.md alembic.ini ./
COPY monitor ./monitor
COPY migrations ./migrations
RUN pip install --no-deps . && pip check


FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PATH=/opt/monitor/bin:$PATH

# Headless Chromium for screenshots of public pages (monitor.capture); Liberation fonts carry the
# Vietnamese letters. Without Chromium, screenshots are skipped with a note.
RUN apt-get update \
    && apt-get install -y --no-install-recommends chromium fonts-liberation \
    && rm -rf /var/lib/apt/lists/*

RUN groupadd --system --gid 10001 monitor \
    && useradd --system --uid 10001 --gid 10001 --home-dir /data --shell /usr/sbin/nologin monitor \
    && mkdir -p /data \
    && chown 10001:10001 /data

COPY --from=builder /opt/monitor /opt/monitor
COPY config /app/config

ENV MONITOR_CONFIG=/app/config/monitor.toml \
    MONITOR_DATABASE__URL=sqlite:////data/monitor.db \
    MONITOR_EVIDENCE__DIR=/data/evidence \
    MONITOR_LOG_FORMAT=json

USER 10001:10001
WORKDIR /data
VOLUME ["/data"]

# The web console, when this image runs `monitor web --host 0.0.0.0` (compose's `web` service).
EXPOSE 8080

# `docker stop` sends this; the daemon traps it and shuts down cleanly.
STOPSIGNAL SIGTERM

# Reads the daemon's heartbeat only: it never migrates the schema or creates a database file.
HEALTHCHECK --interval=1m --timeout=20s --start-period=2m --retries=3 \
    CMD ["monitor", "status", "--check"]

# exec: the daemon replaces the shell as PID 1, so SIGTERM from `docker stop` reaches it.
CMD ["sh", "-c", "monitor db upgrade && exec monitor run"]
