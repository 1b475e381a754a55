#!/usr/bin/env python3
"""
agent-edit.py: the editing half of the rename-to-write benchmark (bench/bench-agent.sh).

With corral-syncd running against tests/sync/fake-apiserver.py, make COUNT vi-style edits:
write the changed config to a temporary file, then rename it over <ID>.conf. Each edit
changes the CT's memory, so each is a real change. For every edit it waits until the agent's
status file shows the new config digest (the edit is applied), then lets the agent settle
before the next edit, so that edits never overlap.

At the end it reads the fake's request log and, for each edit, takes the first write request
(POST, PUT, PATCH or DELETE) for that CT: the latency is the fake's arrival time of that
request minus the time just before rename(). Both clocks are CLOCK_REALTIME on this machine
(time.time() here and in the fake).

Prints one line of JSON: the latencies in milliseconds (sorted) from rename to the first
write and from rename to the status file, and the requests the fake saw by method.

    agent-edit.py --url URL --confdir DIR --rundir DIR --ids FIRST-LAST --count N
                  --memory-base M --settle-ms MS
"""

import argparse
import hashlib
import json
import os
import re
import sys
import time
import urllib.request

WRITES = ("POST", "PUT", "PATCH", "DELETE")


def fake(url, method="GET"):
    req = urllib.request.Request(url, method=method)
    with urllib.request.urlopen(req, timeout=120) as r:
        return json.load(r)


def status_digest(path):
    try:
        with open(path) as f:
            return json.load(f).get("digest")
    except (OSError, ValueError):
        return None


def main(argv):
    p = argparse.ArgumentParser()
    p.add_argument("--url", required=True)
    p.add_argument("--confdir", required=True)
    p.add_argument("--rundir", required=True)
    p.add_argument("--ids", required=True, help="FIRST-LAST: the CTs to edit, in turn")
    p.add_argument("--count", type=int, required=True)
    p.add_argument("--memory-base", type=int, default=1000,
                   help="edit i sets memory to BASE + i (use a new base for each run)")
    p.add_argument("--settle-ms", type=float, default=100)
    p.add_argument("--timeout", type=float, default=60)
    a = p.parse_args(argv)
    first, last = (int(x) for x in a.ids.split("-"))
    ids = list(range(first, last + 1))

    fake(a.url + "/_fake/log", "DELETE")
    edits = []
    for i in range(a.count):
        vmid = ids[i % len(ids)]
        path = os.path.join(a.confdir, "%d.conf" % vmid)
        with open(path, "rb") as f:
            old = f.read().decode()
        # the main section's memory line only (snapshots have their own)
        main, sep, rest = old.partition("\n[")
        new_main, n = re.subn(r"(?m)^memory: .*$", "memory: %d" % (a.memory_base + i), main,
                              count=1)
        if n != 1:
            sys.exit("agent-edit: %s has no memory line" % path)
        new = (new_main + sep + rest).encode()
        if new == old.encode():
            sys.exit("agent-edit: edit %d of %s changes nothing; use another --memory-base"
                     % (i, path))
        digest = hashlib.sha1(new).hexdigest()
        tmp = os.path.join(a.confdir, ".%d.conf.swp" % vmid)
        with open(tmp, "wb") as f:
            f.write(new)
        t0 = time.time()
        os.rename(tmp, path)
        status = os.path.join(a.rundir, "ct", "%d.status" % vmid)
        deadline = t0 + a.timeout
        while status_digest(status) != digest:
            if time.time() > deadline:
                sys.exit("agent-edit: CT %d: the agent did not apply edit %d within %.0f s"
                         % (vmid, i, a.timeout))
            time.sleep(0.0005)
        t_status = time.time()
        edits.append((vmid, t0, t_status))
        time.sleep(a.settle_ms / 1000.0)

    log = fake(a.url + "/_fake/log")["requests"]
    by_method = {}
    for e in log:
        by_method[e["method"]] = by_method.get(e["method"], 0) + 1
    write_ms, status_ms = [], []
    for n, (vmid, t0, t_status) in enumerate(edits):
        t_next = edits[n + 1][1] if n + 1 < len(edits) else float("inf")
        mine = re.compile(r"/ct-%d(-conf|-secrets)?$|-vm-%d-" % (vmid, vmid))
        hits = [e["time"] for e in log if e["method"] in WRITES and t0 <= e["time"] < t_next
                and mine.search(e["path"])]
        if not hits:
            sys.exit("agent-edit: no write request for edit %d of CT %d" % (n, vmid))
        write_ms.append((min(hits) - t0) * 1000.0)
        status_ms.append((t_status - t0) * 1000.0)
    json.dump({"edits": len(edits), "write_ms": sorted(write_ms),
               "status_ms": sorted(status_ms), "by_method": by_method}, sys.stdout)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
