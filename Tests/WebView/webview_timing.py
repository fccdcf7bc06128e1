"""Times the web view's pages in Debian's chromium (driven by rnn-bench webview): navigation until the
content is drawn, median of 5 loads each. Prints one JSON object.

Usage: webview_timing.py LOGIN_URL RUN_IDS_TO_COMPARE
"""
import json
import statistics
import sys
import time
from urllib.parse import urlsplit

from playwright.sync_api import expect, sync_playwright

login, compare_ids = sys.argv[1], sys.argv[2]
origin = "{0.scheme}://{0.netloc}".format(urlsplit(login))
count = len(compare_ids.split(","))


def median_ms(page, url, ready):
    times = []
    for _ in range(5):
        start = time.perf_counter()
        page.goto(url)
        ready(page)
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


with sync_playwright() as p:
    browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
    page = browser.new_context(viewport={"width": 1400, "height": 900}).new_page()
    page.goto(login)
    rows = lambda page: expect(page.locator("#runs tbody tr")).to_have_count(50, timeout=30000)
    result = {
        "runs_page_ms": median_ms(page, f"{origin}/ui/", rows),
        "runs_sorted_by_best_val_loss_ms": median_ms(page, f"{origin}/ui/?sort=best.val_loss", rows),
    }

    def compared(page):
        expect(page.locator("#compare-chart .legend-item")).to_have_count(count, timeout=30000)
        expect(page.locator("#compare-chart .chart")).to_have_attribute("data-points", __import__("re").compile(r"^[1-9]\d*$"), timeout=30000)

    result["compare_ms"] = median_ms(page, f"{origin}/ui/compare?runs={compare_ids}&metric=train_loss", compared)
    browser.close()
print(json.dumps(result))
