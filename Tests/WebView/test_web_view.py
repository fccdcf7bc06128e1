"""The web view in a real browser: Debian's chromium driven by Playwright, against the real rnnd and rnnctl.

Run by deploy/ui-tests.sh (which builds nothing: it uses .build/release). Screenshots of each page go to
$RNND_UI_ARTIFACTS (default .build/ui-artifacts); with RNND_UI_SCREENSHOTS=docs/screenshots they also replace
the README's pictures.
"""
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

from playwright.sync_api import expect, sync_playwright

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BIN = os.path.join(ROOT, ".build", "release")
ARTIFACTS = os.environ.get("RNND_UI_ARTIFACTS", os.path.join(ROOT, ".build", "ui-artifacts"))
README_PICTURES = os.environ.get("RNND_UI_SCREENSHOTS")
failures = []


def check(condition, what):
    print(("ok   " if condition else "FAIL ") + what, flush=True)
    if not condition:
        failures.append(what)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Daemon:
    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="rnnd-ui-")
        self.socket = os.path.join(self.dir, "rnnd.sock")
        self.port = free_port()
        self.env = dict(os.environ, RNND_SOCKET=self.socket, NO_COLOR="1")
        self.log = open(os.path.join(self.dir, "rnnd.log"), "w")
        self.process = subprocess.Popen([os.path.join(BIN, "rnnd"), "--state-dir", os.path.join(self.dir, "state"), "--socket", self.socket,
                                         "--tcp-listen", f"127.0.0.1:{self.port}", "--log-level", "warning"], stderr=self.log)
        for _ in range(200):
            if self.rnnctl("status", check=False).returncode == 0:
                return
            time.sleep(0.05)
        raise RuntimeError("rnnd did not start")

    def rnnctl(self, *args, check=True):
        result = subprocess.run([os.path.join(BIN, "rnnctl"), *args], env=self.env, capture_output=True, text=True)
        if check and result.returncode != 0:
            raise RuntimeError(f"rnnctl {' '.join(args)}: {result.stderr}")
        return result

    def run(self, run_id):
        return json.loads(self.rnnctl("status", str(run_id), "--json").stdout)["run"]

    def stop(self):
        self.process.kill()
        self.process.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


def raw(port, path, method="GET", headers=None):
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def main():
    os.makedirs(ARTIFACTS, exist_ok=True)
    daemon = Daemon()
    try:
        corpus = os.path.join(daemon.dir, "licences.txt")
        with open(corpus, "w") as out:
            for name in ["GPL-2", "LGPL-2.1", "GPL-3"]:
                out.write(open(f"/usr/share/common-licenses/{name}").read())
        common = ["--set", "hidden_size=48", "--set", "val_fraction=0.05", "--set", "eval_every=25", "--set", "checkpoint_every=50", "-q"]
        lstm = daemon.rnnctl("submit", "--data", corpus, "--name", "lstm-<b>bold</b>", "--set", "max_steps=150", "--tag", "baseline", *common).stdout.strip()
        rnn = daemon.rnnctl("submit", "--data", corpus, "--name", "plain-rnn", "--set", "cell=rnn", "--set", "max_steps=150", *common).stdout.strip()
        daemon.rnnctl("watch", lstm)
        daemon.rnnctl("watch", rnn, check=False)
        sweep = daemon.rnnctl("sweep", "submit", "--data", corpus, "--space", "lr=[0.02, 0.002]", "--method", "grid", "--set", "max_steps=40",
                              *common).stdout.strip()
        daemon.rnnctl("sweep", "watch", sweep)
        long = daemon.rnnctl("submit", "--data", corpus, "--name", "long-run", "--set", "max_steps=1000000", *common).stdout.strip()
        for _ in range(600):
            if daemon.run(long)["state"] == "running":
                break
            time.sleep(0.05)

        # Forged Host: refused before anything else.
        check(raw(daemon.port, "/ui/", headers={"Host": "evil.example"}) == 403, "a forged Host header is refused (403)")
        check(raw(daemon.port, "/v1/runs") == 401, "the API without a session or bearer token is refused (401)")

        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
            context = browser.new_context(viewport={"width": 1400, "height": 900}, base_url=f"http://127.0.0.1:{daemon.port}")
            page = context.new_page()
            problems = []
            page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
            page.on("pageerror", lambda e: problems.append(f"page error: {e}"))

            # Login with a one-time token: it becomes a session cookie and leaves the address bar.
            login = daemon.rnnctl("ui", "--no-browser").stdout.strip()
            page.goto(login)
            expect(page).to_have_url(f"http://127.0.0.1:{daemon.port}/ui/?sort=-submitted&offset=0")
            check(all(c["httpOnly"] and c["sameSite"] == "Strict" for c in context.cookies()), "the session cookie is HttpOnly and SameSite=Strict")
            rows = page.locator("#runs tbody tr")
            expect(rows).to_have_count(5)
            check(True, "login with a one-time token shows the runs table")
            # A name from the store is text, never HTML.
            expect(page.locator("#runs a", has_text="lstm-<b>bold</b>")).to_have_count(1)
            check(page.locator("#runs b").count() == 0, "a run name with markup is shown as text")
            page.screenshot(path=os.path.join(ARTIFACTS, "runs.png"), full_page=True)

            second = browser.new_context().new_page()
            second.goto(login)
            expect(second.locator("h1")).to_have_text("This login link is no longer valid")
            check(True, "a used login link is refused")

            # Filter and sort.
            page.fill("input[name=filter]", "cell = rnn")
            page.press("input[name=filter]", "Enter")
            expect(rows).to_have_count(1)
            expect(rows.first).to_contain_text("plain-rnn")
            check(True, "the filter box filters")
            before = len(problems)
            page.fill("input[name=filter]", "hidden_size >=")
            page.press("input[name=filter]", "Enter")
            expect(page.locator("#filter-error [role=alert]")).to_contain_text("filter")
            check(True, "a bad filter shows the API's error")
            # The browser logs the refused request (HTTP 400) itself: expected here, and only here.
            del problems[before:]
            page.fill("input[name=filter]", "")
            page.press("input[name=filter]", "Enter")
            expect(rows).to_have_count(5)
            page.click("th[data-column=name]")
            expect(rows.first).to_contain_text("plain-rnn")
            page.click("th[data-column=name]")
            expect(rows.first).to_contain_text("-t0")
            check(True, "sorting by a column, both ways")
            # Metric columns: latest, min, max and best of a named metric, sortable.
            page.fill("input[name=metrics]", "val_loss")
            page.press("input[name=metrics]", "Enter")
            header = page.locator("th[data-column='min.val_loss']")
            expect(header).to_have_count(1)
            header.click()
            expect(header).to_have_class(__import__("re").compile("sorted-desc"))
            cells = [c for c in page.locator("td[data-column='min.val_loss']").all_text_contents() if c != "-"]
            check(len(cells) >= 2 and [float(c) for c in cells] == sorted([float(c) for c in cells], reverse=True),
                  f"metric columns sort by a metric's minimum ({cells})")
            page.fill("input[name=metrics]", "")
            page.press("input[name=metrics]", "Enter")

            # A running run's curve grows as SSE events arrive.
            page.goto(f"/ui/runs/{long}")
            chart = page.locator(".chart[data-metric=train_loss]")
            expect(chart).to_have_count(1)
            expect(chart).to_have_attribute("data-points", __import__("re").compile(r"\d+"))
            first = int(chart.get_attribute("data-points"))
            grown = first
            deadline = time.time() + 30
            while grown <= first + 3 and time.time() < deadline:
                page.wait_for_timeout(250)
                grown = int(chart.get_attribute("data-points"))
            check(grown > first + 3, f"the train_loss curve grows with the stream ({first} → {grown} points)")
            page.screenshot(path=os.path.join(ARTIFACTS, "run.png"))

            # Cancel from the page.
            page.click("button[data-action=cancel]")
            expect(page.locator("#run-state .badge")).to_have_text("cancelled", timeout=60000)
            check(daemon.run(long)["state"] == "cancelled", "cancel from the page cancels the run")

            # The gradient flow of a finished LSTM run: one profile per chosen validation, on log-log axes.
            page.goto(f"/ui/runs/{lstm}")
            expect(page.locator("#gradient-flow .chart .legend-item")).to_have_count(4)
            check(int(page.locator("#gradient-flow .chart").get_attribute("data-points")) >= 8, "the run page draws the gradient flow")
            # The x axis as training time: the hover readout reads seconds.
            train = page.locator("#charts .chart[data-metric=train_loss]")
            train.locator("select[data-x-axis]").select_option("time")
            canvas = train.locator("canvas.plot")
            canvas.scroll_into_view_if_needed()
            box = canvas.bounding_box()
            canvas.hover(position={"x": box["width"] * 0.6, "y": box["height"] / 2})
            expect(train.locator(".readout")).to_contain_text(__import__("re").compile(r": \d+s → "))
            check(True, "the x axis switches to training time")

            # Compare overlays two runs.
            page.goto(f"/ui/compare?runs={lstm},{rnn}")
            expect(page.locator("#compare-chart .legend-item")).to_have_count(2)
            expect(page.locator("#compare-chart .legend")).to_contain_text("plain-rnn")
            expect(page.locator("#config-diff tbody tr td", has_text="cell")).to_have_count(1)
            check(True, "compare overlays two runs, with the configuration's differences")
            page.wait_for_timeout(300)
            page.screenshot(path=os.path.join(ARTIFACTS, "compare.png"), full_page=True)

            # A sweep's page: its trials, the curves of every trial, parallel coordinates.
            page.goto("/ui/sweeps")
            expect(page.locator(f"#sweeps tr[data-sweep='{sweep}']")).to_have_count(1)
            page.goto(f"/ui/sweeps/{sweep}")
            expect(page.locator("#trials tbody tr")).to_have_count(2)
            expect(page.locator("#sweep-chart .legend-item")).to_have_count(2)
            expect(page.locator("#sweep-parallel canvas")).to_have_count(1)
            check(True, "the sweep page shows its trials, their curves and the parallel coordinates")
            page.screenshot(path=os.path.join(ARTIFACTS, "sweep.png"), full_page=True)

            # State-changing requests need the CSRF token and this origin, even with the session cookie.
            origin = f"http://127.0.0.1:{daemon.port}"
            csrf = page.locator('meta[name="csrf-token"]').get_attribute("content")
            no_token = context.request.post(f"{origin}/v1/runs/{lstm}/pause", headers={"Origin": origin})
            check(no_token.status == 403, f"a POST without the CSRF token is refused ({no_token.status})")
            cross = context.request.post(f"{origin}/v1/runs/{lstm}/pause", headers={"Origin": "http://evil.example", "X-CSRF-Token": csrf})
            check(cross.status == 403, f"a cross-origin POST is refused ({cross.status})")
            good = context.request.post(f"{origin}/v1/runs/{lstm}/pause", headers={"Origin": origin, "X-CSRF-Token": csrf})
            check(good.status == 409, f"the same POST with the token and origin reaches the API ({good.status}: a completed run cannot pause)")
            check(page.request.get(f"{origin}/favicon.ico").status == 200, "/favicon.ico is served")

            check(problems == [], "no console errors: " + "; ".join(problems))
            browser.close()
    finally:
        daemon.stop()
    if README_PICTURES:
        os.makedirs(README_PICTURES, exist_ok=True)
        for name in ["runs.png", "run.png", "compare.png", "sweep.png"]:
            shutil.copy(os.path.join(ARTIFACTS, name), os.path.join(README_PICTURES, name))
    if failures:
        print(f"{len(failures)} web view check(s) failed", file=sys.stderr)
        sys.exit(1)
    print("web view: all checks passed")


if __name__ == "__main__":
    main()
