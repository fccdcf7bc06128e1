#!/usr/bin/env python3
"""Helpers of deploy/fuzz-api.sh (standard library and PyYAML only).

  patch DOC OUT --runs ID,… --sweeps ID,… --datasets SHA,… --lm ID --series ID --text-dataset SHA --series-dataset SHA
      The served OpenAPI document with the seeded daemon's identifiers as examples (path parameters, request
      bodies), so that the examples phase reaches every operation with ids that exist.
  report HAR DOC
      Per operation of DOC: the requests the fuzzer sent and how many got a 2xx. Exit 1 when an operation
      got none.
  check STATE_DIR
      After rnnd stopped: PRAGMA integrity_check is ok, every run is in a state of the machine and none is
      left running, every checkpoint row has its file and every checkpoint file its row, every dataset row
      its file and every dataset file its row. Exit 1 on a problem.
"""
import argparse, json, os, re, sqlite3, sys
from collections import Counter

import yaml

STATES = {"queued", "running", "paused", "interrupted", "completed", "failed", "cancelled"}
METHODS = ("get", "post", "put", "patch", "delete")
# Refused over TCP by design (a web-view login token is handed out over the Unix socket only), so no 2xx here.
UNIX_SOCKET_ONLY = {("POST", "/v1/ui/tokens")}


def patch(args):
    with open(args.doc) as f:
        doc = yaml.safe_load(f)
    ids = lambda text: [int(x) for x in text.split(",") if x]
    runs, sweeps = ids(args.runs), ids(args.sweeps)
    params = doc["components"]["parameters"]
    for name, values in (("RunID", runs), ("SweepID", sweeps)):
        params[name].pop("example", None)
        params[name]["examples"] = {f"seeded{v}": {"value": v} for v in values}
    params["Checkpoint"]["examples"] = {w: {"value": w} for w in ("latest", "best")}
    paths = doc["paths"]
    for name in ("get", "delete"):
        for p in paths["/v1/datasets/{sha256}"][name]["parameters"]:
            p["examples"] = {f"seeded{i}": {"value": sha} for i, sha in enumerate(args.datasets.split(","))}
    for p in paths["/v1/runs/{id}/metrics/{name}"]["parameters"]:
        if p.get("name") == "name":
            p["examples"] = {m: {"value": m} for m in ("train_loss", "val_loss")}
    for p in paths["/v1/compare"]["get"]["parameters"]:
        p["examples"] = {f"seeded{i}": {"value": f"{a},{b}"} for i, (a, b) in enumerate(zip(runs, runs[1:]))}

    def body(path, method, examples):
        media = paths[path][method]["requestBody"]["content"]["application/json"]
        media["examples"] = {f"e{i}": {"value": v} for i, v in enumerate(examples)}

    small = {"max_steps": 5, "hidden_size": 8, "embedding_size": 8, "seq_len": 16, "batch_size": 4, "eval_every": 5,
             "val_fraction": 0.02, "workers": 1}
    body("/v1/runs", "post", [{"dataset": args.text_dataset, "config": small, "name": "fuzz-submitted"}])
    body("/v1/runs/{id}", "patch", [{"name": "renamed", "add_tags": ["fuzz"], "note": "a note"}])
    body("/v1/runs/{id}/fork", "post", [{"checkpoint": "latest", "set": {"max_steps": 40}}])
    body("/v1/runs/{id}/sample", "post", [{"prime": "The ", "length": 20, "seed": 1}])
    body("/v1/runs/{id}/forecast", "post", [{"steps": 3}])
    body("/v1/runs/{id}/evaluate", "post", [{"dataset": args.text_dataset}, {"dataset": args.series_dataset}])
    body("/v1/runs/{id}/predict", "post", [{"dataset": args.sequence_dataset, "top_k": 2}])
    body("/v1/sweeps", "post", [{"dataset": args.text_dataset, "space": ["lr=[0.01, 0.02]"], "method": "grid", "config": small}])
    with open(args.out, "w") as f:
        yaml.safe_dump(doc, f, sort_keys=False)


def operations(doc):
    out = []
    for path, item in doc["paths"].items():
        pattern = re.compile("^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(path)) + "$")
        for method in METHODS:
            if method in item:
                out.append((method.upper(), path, pattern))
    return out


def report(args):
    with open(args.doc) as f:
        ops = operations(yaml.safe_load(f))
    with open(args.har) as f:
        entries = json.load(f)["log"]["entries"]
    sent, ok = Counter(), Counter()
    for e in entries:
        method = e["request"]["method"].upper()
        path = re.sub(r"^[a-z]+://[^/]+", "", e["request"]["url"]).split("?")[0]
        status = e["response"]["status"]
        for m, template, pattern in ops:
            if m == method and pattern.match(path):
                sent[(m, template)] += 1
                if 200 <= status < 300:
                    ok[(m, template)] += 1
                break
    print(f"{'operation':<44} {'requests':>8} {'2xx':>6}")
    missing = []
    for m, template, _ in ops:
        key = (m, template)
        print(f"{m + ' ' + template:<44} {sent[key]:>8} {ok[key]:>6}")
        if ok[key] == 0 and key not in UNIX_SOCKET_ONLY:
            missing.append(f"{m} {template}")
    print(f"{sum(sent.values())} requests, {sum(ok.values())} with a 2xx, over {len(ops)} operations")
    if missing:
        print("fuzz-api: no 2xx for: " + ", ".join(missing), file=sys.stderr)
        sys.exit(1)


def check(args):
    state = args.state_dir
    problems = []
    db = sqlite3.connect(f"file:{state}/rnnd.sqlite?mode=ro", uri=True)
    integrity = db.execute("PRAGMA integrity_check").fetchone()[0]
    if integrity != "ok":
        problems.append(f"integrity_check: {integrity}")
    for run_id, run_state in db.execute("SELECT id, state FROM run"):
        if run_state not in STATES:
            problems.append(f"run {run_id} is in the unknown state {run_state!r}")
        elif run_state == "running":
            problems.append(f"run {run_id} is still running after rnnd stopped")
    rows = set()
    for run_id, path, size in db.execute("SELECT run_id, path, size FROM checkpoint"):
        rows.add(path)
        full = os.path.join(state, path)
        if not os.path.isfile(full) or os.path.getsize(full) != size:
            problems.append(f"run {run_id}: checkpoint row {path} has no file of {size} bytes")
    base = os.path.join(state, "checkpoints")
    for run_dir in os.listdir(base) if os.path.isdir(base) else []:
        for name in os.listdir(os.path.join(base, run_dir)):
            relative = f"checkpoints/{run_dir}/{name}"
            if relative not in rows:
                problems.append(f"{relative} has no row")
    datasets = {path for (path,) in db.execute("SELECT path FROM dataset")}
    for path in datasets:
        if not os.path.isfile(os.path.join(state, path)):
            problems.append(f"dataset row {path} has no file")
    for name in os.listdir(os.path.join(state, "datasets")):
        if f"datasets/{name}" not in datasets:
            problems.append(f"datasets/{name} has no row")
    counts = dict(db.execute("SELECT state, count(*) FROM run GROUP BY state").fetchall())
    print(f"after the fuzz: integrity_check {integrity}; runs {counts}; {len(rows)} checkpoints, {len(datasets)} datasets, "
          f"{len(problems)} problems")
    for p in problems:
        print("  " + p, file=sys.stderr)
    sys.exit(1 if problems else 0)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("patch")
    p.add_argument("doc"); p.add_argument("out")
    for name in ("--runs", "--sweeps", "--datasets", "--text-dataset", "--series-dataset", "--sequence-dataset"):
        p.add_argument(name, required=True)
    p.set_defaults(run=patch)
    r = sub.add_parser("report")
    r.add_argument("har"); r.add_argument("doc")
    r.set_defaults(run=report)
    c = sub.add_parser("check")
    c.add_argument("state_dir")
    c.set_defaults(run=check)
    args = parser.parse_args()
    args.run(args)


if __name__ == "__main__":
    main()
