"""The docs page, in headless Chromium: Authorize with an access token, then try a protected call."""

from __future__ import annotations

from devtools.browser import headless_chromium

OPERATION = "#operations-me-me_retrieve"  # GET /api/auth/me: answers only with a valid token


def test_the_docs_page_authorizes_and_runs_a_protected_call(platform, session):
    with headless_chromium() as browser:
        browser.open(f"{platform.base_url}/api/docs/?urls.primaryName=auth")
        browser.click("button.btn.authorize")
        browser.type(".auth-container input", session.access)
        browser.click(".auth-btn-wrapper button.authorize")
        browser.click(".auth-btn-wrapper button.btn-done")

        browser.click(f"{OPERATION} .opblock-summary-control")
        browser.click(f"{OPERATION} .try-out__btn")
        browser.click(f"{OPERATION} .execute")
        status = browser.wait_for_text(f"{OPERATION} .live-responses-table tr.response .response-col_status", "200")
        body = browser.text(f"{OPERATION} .live-responses-table tr.response .response-col_description")
        browser.screenshot(platform.var_dir / "api-docs-authorized.png")

    assert status.strip() == "200"
    assert session.username in body and session.id in body
    assert (platform.var_dir / "api-docs-authorized.png").stat().st_size > 10_000
