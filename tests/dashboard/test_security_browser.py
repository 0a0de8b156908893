"""The console's Content-Security-Policy in real Chromium: every page renders under it with no violation, and the
console refuses to be framed by another page (clickjacking)."""

from __future__ import annotations

import pytest

from tests.dashboard.conftest import PASSWORDS, RunningConsole

pytestmark = pytest.mark.browser
PAGES = {"/": "#overview-sankey .main-svg", "/renewables": "#pv-inverters .main-svg", "/subsystems": "#sub-lighting",
         "/carbon": "#carbon-page", "/alarms": ".alarm-row", "/reports": "#report-download", "/plan": "#plan-page",
         "/ev": "#ev-page", "/audit": "#audit-table"}
# every violation, also those Chromium does not print: the DOM event fires for each blocked script, style,
# image, connection or frame
RECORD_VIOLATIONS = """
window.__csp = [];
document.addEventListener('securitypolicyviolation',
    e => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));
"""


def test_every_page_renders_under_the_csp_without_violations(browser, running_console: RunningConsole) -> None:  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.set_default_timeout(60_000)
    context.add_init_script(RECORD_VIOLATIONS)
    page = context.new_page()
    logged: list[str] = []
    page.on("console", lambda m: logged.append(m.text) if "Content Security Policy" in m.text else None)
    page.goto(f"{running_console.url}/login")
    page.fill("#username", "admin")
    page.fill("#password", PASSWORDS["admin"])
    page.click("#login-button")
    violations: list[str] = []
    for path, ready in PAGES.items():
        page.goto(f"{running_console.url}{path}")
        page.wait_for_selector(ready, timeout=60_000)
        page.wait_for_timeout(300)  # late chunks (plotly, dropdowns) and the first live tick
        violations += page.evaluate("window.__csp")
    assert (violations, logged) == ([], [])
    context.close()


def test_another_site_cannot_frame_the_console(browser, running_console: RunningConsole) -> None:  # type: ignore[no-untyped-def]
    context = browser.new_context()
    page = context.new_page()
    blocked: list[str] = []
    page.on("console", lambda m: blocked.append(m.text) if "frame-ancestors" in m.text else None)
    page.set_content(f'<iframe id="f" src="{running_console.url}/login" width="600" height="400"></iframe>')
    page.wait_for_timeout(1500)
    frame = page.frame_locator("#f")
    assert frame.locator("#login-button").count() == 0  # the login form never rendered inside the frame
    assert blocked, "Chromium did not report the frame-ancestors refusal"
    context.close()
