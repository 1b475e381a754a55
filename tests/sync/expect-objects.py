#!/usr/bin/env python3
"""expect-objects.py OBJECTS.json REMOVED: are the objects in the fake's namespace
"default" exactly those the CTs' files describe?

OBJECTS.json is what GET /_fake/objects answered; REMOVED lists the CT ids whose
files were deleted (their PVCs stay if they were made, nothing else of theirs). The files are
read from $CORRAL_CONFDIR and $CORRAL_STATEDIR: every CT with a <id>.conf has its
PVC local-vm-<id>-disk-0, ConfigMap ct-<id>-conf, Service and StatefulSet ct-<id>
(replicas 1 when its state says running, else 0), and its pod ct-<id>-0, Running,
when it runs, with the container resources of the StatefulSet's template (an
in-place resize still to do is not converged; one the server refused, as the
CT's status file in $CORRAL_RUNDIR says, waits for a restart and is). Anything else of ours (labelled managed-by=corral, or any PVC,
ConfigMap, Secret, Service, StatefulSet or Pod in the namespace) is left over.
Prints what is missing or left over (at most 20 of each) and exits 1 if anything is.
"""
import json
import os
import re
import sys

KINDS = ("PersistentVolumeClaim", "ConfigMap", "Secret", "Service", "StatefulSet", "Pod")


def resources(podspec):
    """The limits and requests of the CT's container ("ct") in a pod spec, a missing
    request being its limit (as the API server defaults it)."""
    for c in podspec.get("containers", []):
        if c.get("name") == "ct":
            r = c.get("resources", {})
            limits = dict(r.get("limits", {}))
            requests = dict(limits)
            requests.update(r.get("requests", {}))
            return {"limits": limits, "requests": requests}
    return None


def main(objects_file, removed_file):
    confdir = os.environ["CORRAL_CONFDIR"]
    statedir = os.environ["CORRAL_STATEDIR"]
    want, running = set(), set()
    for f in os.listdir(confdir):
        m = re.fullmatch(r"([0-9]+)\.conf", f)
        if not m:
            continue
        i = m.group(1)
        want |= {("PersistentVolumeClaim", "local-vm-%s-disk-0" % i),
                 ("ConfigMap", "ct-%s-conf" % i), ("Service", "ct-%s" % i),
                 ("StatefulSet", "ct-%s" % i)}
        try:
            with open("%s/ct/%s.state" % (statedir, i)) as s:
                power = json.load(s).get("power")
        except OSError:
            power = None
        if power == "running":
            running.add(i)
            want.add(("Pod", "ct-%s-0" % i))
    # a removed CT's PVC stays if it was made; a CT removed before the agent got
    # to it has none (the tests check apart that no PVC was ever deleted)
    optional = set()
    with open(removed_file) as r:
        for i in r.read().split():
            optional.add(("PersistentVolumeClaim", "local-vm-%s-disk-0" % i))
    with open(objects_file) as o:
        objects = json.load(o)["objects"]
    have, bad = set(), []
    for o in objects:
        md = o["metadata"]
        if md.get("namespace") != "default" or o["kind"] not in KINDS or \
                md["name"] == "kube-root-ca.crt":
            continue
        have.add((o["kind"], md["name"]))
        if md.get("deletionTimestamp"):
            bad.append("%s %s is being deleted" % (o["kind"], md["name"]))
        m = re.fullmatch(r"ct-([0-9]+)", md["name"])
        if o["kind"] == "StatefulSet" and m:
            r = o["spec"].get("replicas")
            if r != (1 if m.group(1) in running else 0):
                bad.append("StatefulSet %s: replicas %s" % (md["name"], r))
        m = re.fullmatch(r"ct-([0-9]+)-0", md["name"])
        if o["kind"] == "Pod" and m and (o.get("status") or {}).get("phase") != "Running":
            bad.append("Pod %s: %s" % (md["name"], (o.get("status") or {}).get("phase")))
    sts = {o["metadata"]["name"]: o for o in objects if o["kind"] == "StatefulSet"}
    rundir = os.environ.get("CORRAL_RUNDIR", "")
    for o in objects:
        m = re.fullmatch(r"ct-([0-9]+)-0", o["metadata"]["name"])
        if o["kind"] != "Pod" or not m or "ct-" + m.group(1) not in sts:
            continue
        tmpl = sts["ct-" + m.group(1)]["spec"]["template"]["spec"]
        if resources(o["spec"]) == resources(tmpl):
            continue
        try:
            with open("%s/ct/%s.status" % (rundir, m.group(1))) as f:
                refused = "resize_refused" in json.load(f)
        except (OSError, ValueError):
            refused = False
        if not refused:
            bad.append("Pod %s: resources %s, the template says %s (resize to do)"
                       % (o["metadata"]["name"], resources(o["spec"]), resources(tmpl)))
    want |= optional & have
    for k, n in sorted(want - have)[:20]:
        print("missing: %s %s" % (k, n))
    for k, n in sorted(have - want)[:20]:
        print("left over: %s %s" % (k, n))
    for b in bad[:20]:
        print(b)
    print("%d objects, %d expected" % (len(have), len(want)), file=sys.stderr)
    return 1 if want != have or bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
