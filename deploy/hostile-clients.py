#!/usr/bin/env python3
"""Hostile and heavy clients against a real rnnd (loopback and its Unix socket only), while a run trains.

Usage: deploy/hostile-clients.py [--bin .build/release] [--slow N] [--connections N] [--fd-limit N]

Each check prints one line and its figures; the script exits 1 if any fails. Checked:
  oversized input — a 10 GB Content-Length, 1 MB of headers, a JSON body nested 100,000 deep, a filter of
    1 MB, a sweep space of 10^9 combinations: each answered with a 4xx naming the limit (or, for what the HTTP
    parser refuses, the connection closed), quickly, rnnd's memory bounded;
  slow clients — N connections dribbling their headers a byte a second, N/5 bodies that stop coming, N/10
    event streams that are never read: while they hang on, ordinary requests are answered (p99 reported);
    rnnd closes the dribbling and stalled ones after its idle timeout (30 s); the streams stay bounded;
  many connections — N at once on the Unix socket: requests are still answered; when they close, rnnd goes on;
  the file-descriptor limit — rnnd restarted with RLIMIT_NOFILE lowered, more connections than that opened:
    rnnd stays up, its run keeps training, and it answers again once they close.
"""
import argparse, json, os, resource, socket, subprocess, sys, tempfile, threading, time, urllib.parse

IDLE_TIMEOUT = 30  # rnnd's (Daemon.idleTimeoutSeconds)
failures = []


def check(ok, text):
    print(("ok    " if ok else "FAIL  ") + text, flush=True)
    if not ok:
        failures.append(text)


class Daemon:
    def __init__(self, bin_dir, work, fd_limit=None):
        self.bin, self.work = bin_dir, work
        self.socket = os.path.join(work, "rnnd.sock")
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.token = "hostile-" + os.urandom(16).hex()
        with open(os.path.join(work, "token"), "w") as f:
            f.write(self.token + "\n")
        limit = (lambda: resource.setrlimit(resource.RLIMIT_NOFILE, (fd_limit, fd_limit))) if fd_limit else None
        self.log = open(os.path.join(work, "rnnd.log"), "ab")
        self.process = subprocess.Popen(
            [f"{bin_dir}/rnnd", "--state-dir", os.path.join(work, "state"), "--socket", self.socket,
             "--tcp-listen", f"127.0.0.1:{self.port}", "--token-file", os.path.join(work, "token"), "--log-level", "warning"],
            stderr=self.log, preexec_fn=limit)
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                if self.request("GET", "/healthz")[0] == 200:
                    return
            except OSError:
                time.sleep(0.1)
        raise SystemExit("rnnd did not start; its log: " + os.path.join(work, "rnnd.log"))

    def alive(self):
        return self.process.poll() is None

    def rss_mb(self):
        with open(f"/proc/{self.process.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
        return 0

    def fds(self):
        return len(os.listdir(f"/proc/{self.process.pid}/fd"))

    def stop(self):
        self.process.terminate()
        try:
            return self.process.wait(60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return -9

    def unix(self):
        s = socket.socket(socket.AF_UNIX)
        s.connect(self.socket)
        return s

    def request(self, method, path, body=None, headers=None, timeout=10):
        """One request on a new Unix-socket connection: (status, parsed body or text)."""
        s = self.unix()
        s.settimeout(timeout)
        try:
            data = body if isinstance(body, bytes) else (json.dumps(body).encode() if body is not None else b"")
            head = f"{method} {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nContent-Length: {len(data)}\r\n"
            head += "".join(f"{k}: {v}\r\n" for k, v in (headers or {}).items())
            if body is not None and not isinstance(body, bytes):
                head += "Content-Type: application/json\r\n"
            try:
                s.sendall(head.encode() + b"\r\n" + data)
            except (BrokenPipeError, ConnectionResetError, TimeoutError):
                pass  # rnnd stopped reading what it refused; its answer, if any, follows
            return parse(read_all(s))
        finally:
            s.close()


def read_all(s):
    """What the server sends until it closes, or until one complete response (by its Content-Length) is in."""
    chunks = []
    while True:
        raw = b"".join(chunks)
        head, sep, body = raw.partition(b"\r\n\r\n")
        if sep:
            length = [int(line.split(b":", 1)[1]) for line in head.lower().split(b"\r\n") if line.startswith(b"content-length:")]
            if length and len(body) >= length[0]:
                return raw
        try:
            chunk = s.recv(65536)
        except (ConnectionResetError, BrokenPipeError, TimeoutError):
            break
        if not chunk:
            break
        chunks.append(chunk)
    return b"".join(chunks)


def parse(raw):
    if not raw:
        return (None, "connection closed without an answer")
    head, _, body = raw.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    if b"transfer-encoding: chunked" in head.lower():
        out, rest = b"", body
        while rest:
            size, _, rest = rest.partition(b"\r\n")
            n = int(size, 16)
            if n == 0:
                break
            out, rest = out + rest[:n], rest[n + 2:]
        body = out
    try:
        return (status, json.loads(body))
    except ValueError:
        return (status, body.decode(errors="replace"))


def timed(daemon, count):
    times = []
    for _ in range(count):
        start = time.perf_counter()
        status, _ = daemon.request("GET", "/v1/runs?limit=5")
        times.append((time.perf_counter() - start) * 1000)
        if status != 200:
            return None
    times.sort()
    return times[len(times) // 2], times[min(len(times) - 1, int(len(times) * 0.99))]


def seed(daemon):
    corpus = os.path.join(daemon.work, "corpus.txt")
    with open("/usr/share/common-licenses/GPL-3", "rb") as f:
        text = f.read()
    status, dataset = daemon.request("POST", "/v1/datasets?name=gpl3.txt&kind=text", body=text)
    sha = dataset["sha256"]
    config = {"hidden_size": 32, "embedding_size": 16, "max_steps": 100000000, "workers": 1, "eval_every": 50,
              "checkpoint_every": 500, "val_fraction": 0.02}
    status, run = daemon.request("POST", "/v1/runs", body={"dataset": sha, "config": config, "name": "trains"})
    assert status == 201, run
    deadline = time.time() + 60
    while time.time() < deadline:
        if daemon.request("GET", f"/v1/runs/{run['id']}")[1]["run"]["step"] > 0:
            break
        time.sleep(0.1)
    return sha, run["id"]


def step_of(daemon, run_id):
    return daemon.request("GET", f"/v1/runs/{run_id}")[1]["run"]["step"]


def oversized(daemon, sha):
    rss = daemon.rss_mb()
    # A 10 GB Content-Length: refused from the header, before any of the body is read.
    s = daemon.unix()
    s.settimeout(10)
    start = time.time()
    s.sendall(b"POST /v1/runs HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 10000000000\r\n\r\n{")
    status, body = parse(read_all(s))
    s.close()
    check(status == 413 and "larger than" in json.dumps(body), f"10 GB Content-Length: {status} {str(body)[:120]} in {time.time() - start:.2f} s")
    # 1 MB of headers.
    s = daemon.unix()
    s.settimeout(10)
    try:
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n" + b"".join(b"X-Filler-%d: %s\r\n" % (i, b"a" * 1000) for i in range(1000)) + b"\r\n")
    except (BrokenPipeError, ConnectionResetError, TimeoutError):
        pass  # rnnd stopped reading: it refused the headers
    status, body = parse(read_all(s))
    s.close()
    check(status in (None, 400, 431), f"1 MB of headers: {status or 'closed'} {str(body)[:80]}")
    # JSON nested 100,000 deep.
    start = time.time()
    status, body = daemon.request("POST", "/v1/runs", body=b'{"dataset": ' + b"[" * 100000 + b"]" * 100000 + b"}",
                                  headers={"Content-Type": "application/json"})
    check(status == 400 and "not valid JSON" in json.dumps(body), f"JSON nested 100,000 deep: {status} {str(body)[:120]} in {time.time() - start:.2f} s")
    # A filter of 1 MB.
    start = time.time()
    status, body = daemon.request("GET", "/v1/runs?filter=" + urllib.parse.quote("name = " + "x" * (1 << 20)))
    check(status in (None, 400, 414, 431), f"a 1 MB filter: {status or 'closed'} {str(body)[:120]} in {time.time() - start:.2f} s")
    # A sweep space of 10^9 combinations.
    start = time.time()
    space = [f"k{i}=[0, 1, 2, 3, 4, 5, 6, 7, 8, 9]" for i in range(9)]
    status, body = daemon.request("POST", "/v1/sweeps", body={"dataset": sha, "space": space, "method": "grid", "config": {}})
    check(status == 400 and "at most 10000" in json.dumps(body), f"a grid of 10^9 combinations: {status} {str(body)[:120]} in {time.time() - start:.2f} s")
    check(daemon.alive() and daemon.rss_mb() < rss + 200, f"rnnd alive, RSS {rss:.0f} → {daemon.rss_mb():.0f} MB")


def slow_clients(daemon, run_id, count):
    before = timed(daemon, 50)
    rss, fds = daemon.rss_mb(), daemon.fds()
    stop = threading.Event()
    dribblers = []
    for i in range(count):
        s = daemon.unix() if i % 10 else socket.create_connection(("127.0.0.1", daemon.port))
        dribblers.append(s)
    stalled = []
    for _ in range(count // 5):
        s = daemon.unix()
        s.sendall(b"POST /v1/runs HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"data")
        stalled.append(s)
    readers = []
    for _ in range(max(1, count // 10)):
        s = daemon.unix()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        s.sendall(f"GET /v1/runs/{run_id}/stream HTTP/1.1\r\nHost: localhost\r\n\r\n".encode())
        readers.append(s)
    header = b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-Slow: " + b"a" * 1000

    def dribble():
        for i in range(len(header)):
            if stop.is_set():
                return
            for s in dribblers:
                try:
                    s.send(header[i:i + 1])
                except OSError:
                    pass
            time.sleep(1)

    thread = threading.Thread(target=dribble, daemon=True)
    thread.start()
    time.sleep(3)
    during = timed(daemon, 50)
    step = step_of(daemon, run_id)
    check(during is not None and during[1] < 1000,
          f"{count} dribbling, {len(stalled)} stalled bodies, {len(readers)} unread streams: requests answered, "
          f"p50/p99 {during[0]:.1f}/{during[1]:.1f} ms (before {before[0]:.1f}/{before[1]:.1f} ms)" if during else "requests failed")
    time.sleep(IDLE_TIMEOUT + 8)
    stop.set()

    def closed(s):
        s.settimeout(2)
        try:
            while True:
                data = s.recv(65536)
                if not data:
                    return True
        except socket.timeout:
            return False
        except OSError:
            return True

    cut = sum(closed(s) for s in dribblers)
    check(cut == len(dribblers), f"dribbling connections closed by rnnd after its idle timeout: {cut} of {len(dribblers)}")
    cut = sum(closed(s) for s in stalled)
    check(cut == len(stalled), f"stalled bodies closed by rnnd after its idle timeout: {cut} of {len(stalled)}")
    check(step_of(daemon, run_id) > step, "the run trained on meanwhile")
    check(daemon.rss_mb() < rss + 100, f"RSS with {len(readers)} unread streams after {IDLE_TIMEOUT + 11} s: {rss:.0f} → {daemon.rss_mb():.0f} MB")
    for s in dribblers + stalled + readers:
        s.close()
    time.sleep(1)
    check(daemon.fds() <= fds + 5, f"file descriptors back to {daemon.fds()} (were {fds})")


def many_connections(daemon, run_id, count):
    sockets = []
    start = time.time()
    for _ in range(count):
        sockets.append(daemon.unix())
    opened = time.time() - start
    during = timed(daemon, 20)
    check(during is not None and during[1] < 1000, f"{count} connections held open ({opened:.2f} s to open): requests answered, "
          f"p50/p99 {during[0]:.1f}/{during[1]:.1f} ms" if during else f"{count} connections: requests failed")
    for s in sockets:
        s.close()
    time.sleep(1)
    check(daemon.alive() and daemon.request("GET", "/healthz")[0] == 200, "rnnd answers after they closed")


def fd_limit(bin_dir, work, limit):
    daemon = Daemon(bin_dir, work, fd_limit=limit)
    try:
        sha, run_id = seed(daemon)
        step = step_of(daemon, run_id)
        sockets, refused = [], 0
        for _ in range(limit * 2):
            try:
                s = daemon.unix()
                s.settimeout(0.5)
                sockets.append(s)
            except OSError:
                refused += 1
        time.sleep(3)
        answered_while_full = step_of_or_none(daemon, run_id) is not None
        check(daemon.alive(), f"RLIMIT_NOFILE {limit}, {limit * 2} connections tried ({refused} refused at connect, "
              f"a request {'answered' if answered_while_full else 'not answered'} while they are open): rnnd alive")
        for s in sockets:
            s.close()
        deadline, answered = time.time() + 10, False
        while time.time() < deadline and not answered:
            try:
                answered = daemon.request("GET", "/healthz", timeout=2)[0] == 200
            except OSError:
                time.sleep(0.2)
        check(answered, "answers again once the connections closed")
        later = step_of(daemon, run_id)
        check(later > step, f"the run trained on (step {step} → {later})")
    finally:
        daemon.stop()


def step_of_or_none(daemon, run_id):
    try:
        return step_of(daemon, run_id)
    except (OSError, TypeError, KeyError):
        return None


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bin", default=".build/release")
    parser.add_argument("--slow", type=int, default=100, help="dribbling connections (a fifth as many stalled bodies, a tenth unread streams)")
    parser.add_argument("--connections", type=int, default=1000, help="connections held open at once on the Unix socket")
    parser.add_argument("--fd-limit", type=int, default=256, help="RLIMIT_NOFILE for the descriptor-exhaustion check")
    args = parser.parse_args()
    # This script holds many sockets at once: as many descriptors as the hard limit allows.
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    with tempfile.TemporaryDirectory(prefix="rnnd-hostile-") as work:
        os.makedirs(os.path.join(work, "a"))
        daemon = Daemon(args.bin, os.path.join(work, "a"))
        try:
            sha, run_id = seed(daemon)
            oversized(daemon, sha)
            slow_clients(daemon, run_id, args.slow)
            many_connections(daemon, run_id, args.connections)
            check(daemon.alive(), "rnnd alive after every client")
        finally:
            status = daemon.stop()
            check(status == 0, f"rnnd stopped cleanly (exit {status})")
        os.makedirs(os.path.join(work, "b"))
        fd_limit(args.bin, os.path.join(work, "b"), args.fd_limit)
    print(f"hostile clients: {len(failures)} failed" if failures else "hostile clients: every check passed")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
