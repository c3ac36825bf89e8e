"""Real headless Chromium behind the filtering proxy: forbidden addresses are never requested."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import io
import os
import socket
import threading
from dataclasses import replace
from pathlib import Path

import pytest
from PIL import Image

from monitor.capture import chromium as chromium_module
from monitor.capture.chromium import FLAGS, BrowserRun, CaptureFailed, shoot
from monitor.capture.policy import AddressPolicy
from monitor.capture.proxy import FilteringProxy
from monitor.capture.shooter import Shot
from monitor.errors import UnsafeURLError
from tests.capture.conftest import make_shooter, processes_mentioning
from tests.capture.servers import html, serve

# Set to a folder to keep the screenshot for a look.
SHOTS = Path(os.environ["SCREENSHOT_TEST_OUT"]) if os.environ.get("SCREENSHOT_TEST_OUT") else None


def _hostile_page(forbidden: int) -> str:
    other = f"http://127.0.0.1:{forbidden}"
    return f"""<!doctype html><html lang="vi"><head><meta charset="utf-8">
<title>BHXH Bình Dương hỗ trợ</title>
<link rel="stylesheet" href="{other}/style.css">
<script src="http://169.254.169.254/latest/meta-data/x.js"></script>
</head><body style="background:#f5f0d0;font-family:sans-serif">
<h1>Bảo hiểm xã hội tỉnh Bình Dương – hỗ trợ hoàn tiền</h1>
<p>Liên hệ Zalo 0900 000 000 để nhận lại tiền đóng BHXH.</p>
<img src="{other}/logo.png" width="50" height="50">
<img src="/to-forbidden" width="50" height="50">
<img src="https://127.0.0.1:{forbidden}/tls.png" width="50" height="50">
<iframe src="http://10.255.255.1/admin" width="200" height="80"></iframe>
<iframe src="{other}/frame" width="200" height="80"></iframe>
<script>
fetch("{other}/api").catch(() => null);
try {{ new WebSocket("ws://127.0.0.1:{forbidden}/ws"); }} catch (e) {{}}
navigator.sendBeacon("{other}/beacon", "x");
</script>
</body></html>"""


def test_sub_resources_at_forbidden_addresses_are_never_requested(chromium: str, tmp_path: Path) -> None:
    with serve({"/": html("never")}) as forbidden:

        def routes(page: object) -> dict[str, tuple[int, dict[str, str], bytes]]:
            return {
                "/": html(_hostile_page(forbidden.port)),
                "/to-forbidden": (302, {"Location": f"{forbidden.base}/redirected.png"}, b""),
            }

        with serve(routes) as page:
            shooter = make_shooter(chromium, tmp_path, ("127.0.0.1", page.port))
            shot = asyncio.run(shooter.capture(page.base + "/"))

    assert forbidden.paths == []
    refused = {target for target, _ in shot.traffic.refused}
    assert f"127.0.0.1:{forbidden.port}" in refused
    assert "169.254.169.254:80" in refused
    assert all(reason != "browser_service" for _, reason in shot.traffic.refused)
    assert "10.255.255.1:80" in refused
    assert "/" in page.paths
    assert "/to-forbidden" in page.paths  # the redirect was followed by the browser, and refused
    _check_png(shot, 800, 600)
    if SHOTS is not None:
        SHOTS.mkdir(parents=True, exist_ok=True)
        (SHOTS / "hostile.png").write_bytes(shot.png)


def test_a_page_redirecting_to_a_forbidden_address_is_refused(chromium: str, tmp_path: Path) -> None:
    with (
        serve({"/": html("never")}) as forbidden,
        serve({"/": (302, {"Location": f"{forbidden.base}/"}, b"")}) as page,
    ):
        shooter = make_shooter(chromium, tmp_path, ("127.0.0.1", page.port))
        with pytest.raises(UnsafeURLError, match="redirected to a refused address"):
            asyncio.run(shooter.capture(page.base + "/"))
    assert forbidden.paths == []
    assert page.paths == ["/"]


def test_the_page_itself_at_a_forbidden_address_never_starts_the_browser(
    chromium: str, tmp_path: Path
) -> None:
    with serve({"/": html("never")}) as forbidden:
        shooter = make_shooter(chromium, tmp_path)
        with pytest.raises(UnsafeURLError):
            asyncio.run(shooter.capture(forbidden.base + "/"))
        with pytest.raises(UnsafeURLError):
            asyncio.run(shooter.capture("file:///etc/passwd"))
    assert forbidden.paths == []
    assert list(tmp_path.iterdir()) == []


def test_a_browser_past_its_time_limit_is_killed_with_its_whole_group(chromium: str, tmp_path: Path) -> None:
    with serve(hang=frozenset({"/"})) as page:
        shooter = make_shooter(chromium, tmp_path, ("127.0.0.1", page.port), timeout=6, load_timeout=300)
        with pytest.raises(CaptureFailed) as failed:
            asyncio.run(shooter.capture(page.base + "/"))
    assert failed.value.code == "timeout"
    assert processes_mentioning(str(tmp_path)) == []
    assert list(tmp_path.iterdir()) == []  # the throw-away profile is gone too


def _check_png(shot: Shot, width: int, height: int) -> None:
    assert shot.png.startswith(b"\x89PNG\r\n\x1a\n")
    with Image.open(io.BytesIO(shot.png)) as image:
        assert image.format == "PNG"
        assert image.size == (width, height)
        colours = image.convert("RGB").getcolors(maxcolors=1_000_000)
    assert colours is not None
    assert len(colours) > 10  # text was drawn, not one flat colour
    assert len(hashlib.sha256(shot.png).hexdigest()) == 64


def test_a_page_that_is_a_download_saves_nothing(chromium: str, tmp_path: Path) -> None:
    marker = b"BHXH-DOWNLOAD-" * 2000
    headers = {
        "Content-Type": "application/octet-stream",
        "Content-Disposition": "attachment; filename=bhxh.exe",
    }
    workdir = tmp_path / "work"
    workdir.mkdir()
    with serve({"/": (200, headers, marker)}) as page:
        policy = AddressPolicy(allowed_endpoints=frozenset({("127.0.0.1", page.port)}))
        run = BrowserRun(chromium, 800, 600, 15, "impersonation-monitor/test")

        async def go() -> None:
            async with FilteringProxy(policy, max_bytes=10**6, max_requests=20) as proxy:
                await shoot(run, page.base + "/", proxy_port=proxy.port, workdir=workdir)

        with pytest.raises(CaptureFailed) as failed:
            asyncio.run(go())
    # Chromium either gives up on the page at once or waits for one until it is killed.
    assert failed.value.code in ("no_image", "timeout")
    assert page.paths == ["/"]
    assert list((workdir / "downloads").iterdir()) == []
    holding = [p for p in workdir.rglob("*") if p.is_file() and marker[:200] in p.read_bytes()]
    # Only the browser's own cache inside the throw-away profile ever held the bytes.
    assert all("Cache" in p.parts for p in holding)
    assert not any(p.suffix == ".crdownload" or p.name == "bhxh.exe" for p in workdir.rglob("*"))


def test_host_names_are_resolved_by_the_proxy_not_the_browser(chromium: str, tmp_path: Path) -> None:
    names = {"bhxh-hotro.example": ["127.0.0.1"], "metadata.example": ["169.254.169.254"]}

    async def resolver(host: str, port: int) -> list[str]:
        return names.get(host, [])

    with serve({"/": html("never")}) as forbidden:
        markup = f'<h1>Trang giả mạo BHXH</h1><img src="http://metadata.example:{forbidden.port}/x.png">'
        with serve({"/": html(markup)}) as page:
            shooter = make_shooter(chromium, tmp_path, ("127.0.0.1", page.port))
            shooter.policy = replace(shooter.policy, resolver=resolver)
            shot = asyncio.run(shooter.capture(f"http://bhxh-hotro.example:{page.port}/"))
    assert f"GET http://bhxh-hotro.example:{page.port}/" in shot.traffic.requests
    assert page.paths[0] == "/"
    assert (
        f"metadata.example:{forbidden.port}",
        "non_public_address 169.254.169.254",
    ) in shot.traffic.refused
    assert forbidden.paths == []


def test_a_slow_resource_does_not_stop_the_page_from_being_shot(chromium: str, tmp_path: Path) -> None:
    markup = '<h1>Trang chậm</h1><img src="/slow.png" width="40" height="40">'
    with serve({"/": html(markup)}, hang=frozenset({"/slow.png"})) as page:
        shooter = make_shooter(chromium, tmp_path, ("127.0.0.1", page.port), timeout=120, load_timeout=8)
        shot = asyncio.run(shooter.capture(page.base + "/"))
        assert page.held.is_set()  # the browser was still waiting for the image when it shot
    _check_png(shot, 800, 600)


def _rtc_page(stun_port: int) -> str:
    # ICE gathering asks the STUN server over UDP, which no HTTP proxy carries.
    return f"""<h1>WebRTC</h1><img src="/hold.png"><script>
const pc = new RTCPeerConnection({{iceServers: [{{urls: "stun:127.0.0.1:{stun_port}"}}]}});
pc.onicegatheringstatechange = () => {{
  if (pc.iceGatheringState === "complete") fetch("/ice-done").catch(() => null);
}};
pc.createDataChannel("x");
pc.createOffer().then(o => pc.setLocalDescription(o));
</script>"""


@pytest.mark.parametrize("flags", ["as_shipped", "without_webrtc_flags"])
def test_webrtc_sends_no_udp_around_the_proxy(
    chromium: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, flags: str
) -> None:
    if flags == "without_webrtc_flags":  # the control: the same page does leak without them
        monkeypatch.setattr(chromium_module, "FLAGS", tuple(f for f in FLAGS if "webrtc" not in f))
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as stun:
        stun.bind(("127.0.0.1", 0))
        received = threading.Event()

        def listen() -> None:
            with contextlib.suppress(OSError):
                stun.recvfrom(2048)
                received.set()

        threading.Thread(target=listen, daemon=True).start()
        port = stun.getsockname()[1]
        with serve({"/": html(_rtc_page(port))}, hang=frozenset({"/hold.png"})) as page:
            done = page.arrival("/ice-done")

            def release() -> None:
                # The page stays loading until ICE gathering ends or a packet arrives.
                while not (done.wait(0.05) or received.is_set()):
                    pass
                page.release.set()

            threading.Thread(target=release, daemon=True).start()
            shooter = make_shooter(
                chromium, tmp_path, ("127.0.0.1", page.port), timeout=120, load_timeout=100
            )
            asyncio.run(shooter.capture(page.base + "/"))
        assert received.is_set() is (flags == "without_webrtc_flags")
