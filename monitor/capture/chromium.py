"""Running headless Chromium once per screenshot: a throw-away profile, no downloads, a hard time limit.

Chromium is started in its own process group with every request sent to the filtering proxy
(`--proxy-bypass-list=<-loopback>` removes the implicit loopback bypass, and a host resolver rule
makes any lookup of its own fail, so nothing leaves except through the proxy). It writes the PNG
itself (`--screenshot`); `--timeout` stops loading and shoots what is there, and if it is still
running at the hard limit the whole group is killed.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import signal
from dataclasses import dataclass
from pathlib import Path

from monitor.errors import MonitorError
from monitor.log import get_logger

log = get_logger(__name__)

CANDIDATES = ("chromium", "chromium-browser")
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-extensions",
    "--disable-default-apps",
    "--disable-sync",
    "--disable-breakpad",
    "--disable-dev-shm-usage",
    "--hide-scrollbars",
    "--mute-audio",
    "--disable-quic",
    "--dns-prefetch-disable",
    "--disable-client-side-phishing-detection",
    "--disable-component-extensions-with-background-pages",
    "--disable-field-trial-config",
    "--disable-features=Translate,OptimizationHints,MediaRouter,AutofillServerCommunication,"
    "CertificateTransparencyComponentUpdater,InterestFeedContentSuggestions,PushMessaging,"
    "NetworkTimeServiceQuerying,PrivacySandboxSettings4,OnDeviceModelService,OptimizationGuideModelDownloading",
    "--metrics-recording-only",
    "--password-store=basic",
    "--no-pings",
    # WebRTC could reach private addresses over UDP, which the proxy never sees.
    "--force-webrtc-ip-handling-policy=disable_non_proxied_udp",
    "--webrtc-ip-handling-policy=disable_non_proxied_udp",
    "--proxy-bypass-list=<-loopback>",
    "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
)
# Seconds Chromium gets after its own --timeout to write the file and exit.
_SHOOT_GRACE = 0.35


class CaptureFailed(MonitorError):
    """A screenshot could not be taken; `code` says why (timeout, no_image, browser_failed ...)."""

    def __init__(self, code: str, detail: str = "") -> None:
        self.code = code
        self.detail = detail
        super().__init__(f"{code}: {detail}" if detail else code)


@dataclass(frozen=True)
class BrowserRun:
    """How to run Chromium for one page."""

    executable: str
    width: int
    height: int
    timeout: float
    user_agent: str
    # Seconds of page loading before Chromium shoots what it has (default: part of `timeout`).
    load_timeout: float | None = None


def find_chromium(configured: str | None) -> str | None:
    """The Chromium to run: the configured path or name, else chromium on PATH; None when absent."""
    names = (configured,) if configured else CANDIDATES
    for name in names:
        path = Path(name)
        if path.is_absolute() or os.sep in name:
            if path.is_file() and os.access(path, os.X_OK):
                return str(path)
            continue
        found = shutil.which(name)
        if found:
            return found
    return None


def command(run: BrowserRun, url: str, *, proxy_port: int, workdir: Path) -> list[str]:
    """The command line of one capture (profile and output inside `workdir`)."""
    load = run.load_timeout if run.load_timeout is not None else run.timeout * (1 - _SHOOT_GRACE)
    load_ms = max(1000, int(load * 1000))
    return [
        run.executable,
        *FLAGS,
        f"--proxy-server=http://127.0.0.1:{proxy_port}",
        f"--user-data-dir={workdir / 'profile'}",
        f"--user-agent={run.user_agent}",
        f"--window-size={run.width},{run.height}",
        f"--screenshot={workdir / 'page.png'}",
        f"--timeout={load_ms}",
        url,
    ]


def prepare_profile(workdir: Path) -> None:
    """A fresh profile whose preferences refuse downloads and point them at a folder nobody reads."""
    profile = workdir / "profile" / "Default"
    profile.mkdir(parents=True, exist_ok=True)
    blocked = workdir / "downloads"
    blocked.mkdir(exist_ok=True)
    blocked.chmod(0o500)
    prefs = {
        "download": {"default_directory": str(blocked), "prompt_for_download": False},
        "download_restrictions": 3,
        "safebrowsing": {"enabled": False},
        "profile": {"default_content_setting_values": {"automatic_downloads": 2, "notifications": 2}},
    }
    (profile / "Preferences").write_text(json.dumps(prefs), encoding="utf-8")


async def shoot(run: BrowserRun, url: str, *, proxy_port: int, workdir: Path) -> bytes:
    """The PNG bytes Chromium wrote for url; CaptureFailed when it timed out or wrote nothing."""
    prepare_profile(workdir)
    args = command(run, url, proxy_port=proxy_port, workdir=workdir)
    with (workdir / "chromium.log").open("wb") as errors:
        try:
            process = await asyncio.create_subprocess_exec(
                *args,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=errors,
                stderr=errors,
                cwd=workdir,
                start_new_session=True,
                env=_environment(workdir),
            )
        except OSError as exc:
            raise CaptureFailed("browser_failed", exc.strerror or type(exc).__name__) from exc
        try:
            async with asyncio.timeout(run.timeout):
                status = await process.wait()
        except TimeoutError:
            log.warning("screenshot_browser_killed", pid=process.pid, timeout=run.timeout)
            raise CaptureFailed("timeout", f"{run.timeout:g}s") from None
        finally:
            # The group goes whatever happened (timeout, cancellation): renderers, zygote, crashpad.
            kill_group(process.pid)
            if process.returncode is None:
                with contextlib.suppress(ProcessLookupError):
                    process.kill()
                await process.wait()
    image = workdir / "page.png"
    if not image.is_file():
        raise CaptureFailed("no_image", f"exit status {status}")
    return image.read_bytes()


def kill_group(pid: int) -> None:
    """SIGKILL every process of the group Chromium leads (started with a new session)."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)


def _environment(workdir: Path) -> dict[str, str]:
    """A small environment: no proxy variables (the proxy is given explicitly), HOME in the profile."""
    keep = ("PATH", "LANG", "LC_ALL", "TZ", "TMPDIR", "FONTCONFIG_PATH", "FONTCONFIG_FILE")
    env = {name: os.environ[name] for name in keep if name in os.environ}
    env["HOME"] = str(workdir)
    env["XDG_CONFIG_HOME"] = str(workdir / "config")
    env["XDG_CACHE_HOME"] = str(workdir / "cache")
    return env
