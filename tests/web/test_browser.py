"""End to end in a real headless Chromium (Debian's /usr/bin/chromium driven by Playwright for Python).

Screenshots of the queue and a finding page are kept in tests/web/artifacts/ (ignored by git).
"""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Page

from tests.web.conftest import HOSTILE, PASSWORD, Console

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"


def sign_in(page: Page, console: Console, name: str) -> None:
    page.goto(f"{console.url}/findings")
    assert page.url.startswith(f"{console.url}/login")
    page.fill("input[name=username]", name)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit].primary")
    page.wait_for_url(f"{console.url}/findings")


def test_officer_filters_confirms_and_bulk_dismisses(
    console: Console, page: Page, dialogs: list[str]
) -> None:
    p = page
    sign_in(p, console, "oanh")
    ARTIFACTS.mkdir(exist_ok=True)
    p.screenshot(path=str(ARTIFACTS / "queue.png"), full_page=True)

    # Filter the queue: websites only.
    p.select_option("select[name=platform]", "web")
    p.click("form.filters button[type=submit]")
    p.wait_for_url("**platform=web**")
    rows = p.locator("table.queue tbody tr")
    assert rows.count() == 3
    assert all("Tra cứu BHXH" in text for text in rows.all_inner_texts())

    # Confirm one finding and see it on its timeline with the officer's name.
    renamed = console.seeded.renamed
    p.goto(f"{console.url}/findings/{renamed}")
    p.select_option("form.decide select[name=action]", "confirmed")
    p.fill("form.decide textarea[name=note]", "Giả mạo rõ ràng")
    p.click("form.decide button[type=submit]")
    p.wait_for_url(f"**/findings/{renamed}?recorded=confirmed**")
    last = p.locator("ol.timeline li.k-triage").last
    assert "Quyết định: đã xác nhận" in last.inner_text()
    assert "bởi oanh" in last.inner_text()
    assert "Giả mạo rõ ràng" in last.inner_text()
    p.screenshot(path=str(ARTIFACTS / "finding.png"), full_page=True)

    # Bulk-dismiss the filtered set (suspects), through the confirmation page that states the count.
    p.goto(f"{console.url}/findings?verdict=suspect")
    p.select_option("div.bulkbar select[name=action]", "dismissed")
    p.click("div.bulkbar button[value=filtered]")
    p.wait_for_url(f"{console.url}/findings/bulk")
    assert "cho đúng 3 phát hiện" in p.inner_text("p.lead")
    p.click("button.primary")
    p.wait_for_url("**done=3**")
    assert "Đã ghi nhận «đã bỏ qua» cho 3 phát hiện." in p.inner_text("p.notice")
    p.goto(f"{console.url}/findings?triage=dismissed")
    assert p.locator("table.queue tbody tr").count() == 3
    p.goto(f"{console.url}/findings?triage=untriaged")
    assert p.locator("table.queue tbody tr").count() == 3
    assert dialogs == []


def test_hostile_name_is_shown_as_text(console: Console, page: Page, dialogs: list[str]) -> None:
    p = page
    sign_in(p, console, "vy")
    for path in ("/findings", f"/findings/{console.seeded.hostile}"):
        p.goto(f"{console.url}{path}")
        assert p.title() != "pwned"
        assert p.locator("img[src=x]").count() == 0
        assert p.locator("main script").count() == 0
        shown = p.inner_text("main")
        assert '<script>document.title="pwned"</script>' in shown
        assert "\\u202e" in shown
    heading = p.inner_text("h1.finding-name")
    assert len(heading) < len(HOSTILE)
    assert dialogs == []


def test_viewer_is_refused_and_a_post_without_csrf_is_refused(
    console: Console, page: Page, dialogs: list[str]
) -> None:
    p = page
    sign_in(p, console, "vy")
    finding = console.seeded.hostile
    p.goto(f"{console.url}/findings/{finding}")
    assert p.locator("form.decide").count() == 0
    token = p.get_attribute("input[name=csrf_token]", "value")
    refused = p.request.post(
        f"{console.url}/findings/{finding}/triage", form={"action": "confirmed", "csrf_token": token}
    )
    assert refused.status == 403

    # An officer's form with its token removed is refused by the server.
    p.context.clear_cookies()
    sign_in(p, console, "oanh")
    p.goto(f"{console.url}/findings/{finding}")
    p.evaluate("document.querySelector('form.decide input[name=csrf_token]').remove()")
    with p.expect_response(f"{console.url}/findings/{finding}/triage") as answer:
        p.click("form.decide button[type=submit]")
    assert answer.value.status == 403
    assert "mã bảo vệ biểu mẫu" in p.inner_text("body")
    p.goto(f"{console.url}/api/findings/{finding}")
    assert '"triage":"untriaged"' in p.inner_text("body").replace(" ", "")


def test_a_captured_page_with_a_script_does_not_run(console: Console, page: Page, dialogs: list[str]) -> None:
    p = page
    sign_in(p, console, "vy")
    seeded = console.seeded
    p.goto(f"{console.url}/findings/{seeded.renamed}/captures/{seeded.capture}")
    frame_element = p.wait_for_selector("iframe.capture")
    frame = frame_element.content_frame()
    frame.wait_for_load_state()
    assert frame.inner_text("h1") == "BHXH Bình Dương"  # rendered, but its script did not run
    assert "SCRIPT RAN" not in frame.inner_text("body")
    assert "SCRIPT RAN" not in p.title()
    assert "document.getElementById('h')" in p.inner_text("pre.source")
    assert dialogs == []
