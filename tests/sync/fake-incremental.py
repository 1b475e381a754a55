#!/usr/bin/env python3
"""
fake-incremental.py: random writes against the fake API server's Cluster, in process, with
FAKE_APISERVER_VERIFY set: after every incremental reconcile the fake runs a full one and
records any write the incremental one missed. Exits 1 when there was one.

    fake-incremental.py FAKE-APISERVER.PY SEED STEPS VERIFY-FILE

The writes mix what the agent and people do: StatefulSets scaled and changed (their pods,
claim templates, orderings and update strategies), PVCs grown, cloned and restored,
ConfigMaps and Secrets appearing and going, pods written and deleted by hand, snapshots,
and deletions with every propagation policy.
"""

import importlib.util
import json
import os
import random
import sys


def main(argv):
    fake_py, seed, steps, verify = argv[0], int(argv[1]), int(argv[2]), argv[3]
    os.environ["FAKE_APISERVER_VERIFY"] = verify
    spec = importlib.util.spec_from_file_location("fake_apiserver", fake_py)
    fake = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(fake)
    rnd = random.Random(seed)
    cl = fake.Cluster(fake.default_settings())
    snap_gv = fake.SNAP_GROUP + "/v1"

    def ctx():
        return {"user": "test", "manager": "corral-syncd", "dry_run": False,
                "field_validation": "Warn"}

    def apply(group, plural, name, body):
        with cl.lock:
            try:
                cl.op_apply(fake.RT[(group, plural)], "default", name,
                            json.dumps(body).encode(), ctx(), True)
            except fake.ApiError:
                pass

    def delete(group, plural, name, opts=None):
        with cl.lock:
            try:
                cl.op_delete(fake.RT[(group, plural)], "default", name, opts or {}, ctx())
            except fake.ApiError:
                pass

    def sts(i):
        s = {"apiVersion": "apps/v1", "kind": "StatefulSet",
             "metadata": {"name": "ct-%d" % i, "labels": {"ctid": str(i)}},
             "spec": {"replicas": rnd.choice([0, 1, 1, 2]), "serviceName": "ct-%d" % i,
                      "podManagementPolicy": rnd.choice(["Parallel", "OrderedReady"]),
                      "updateStrategy": {"type": rnd.choice(["OnDelete", "RollingUpdate"])},
                      "selector": {"matchLabels": {"ctid": str(i)}},
                      "template": {"metadata": {"labels": {"ctid": str(i)}}, "spec": {
                          "containers": [{"name": "ct", "image": "debian:12", "resources": {
                              "limits": {"memory": "%dMi" % rnd.choice([256, 512])}}}],
                          "volumes": [
                              {"name": "rootfs",
                               "persistentVolumeClaim": {"claimName": "pvc-%d" % i}},
                              {"name": "conf", "configMap": {"name": "cm-%d" % i}},
                              {"name": "sec", "secret": {"secretName": "s-%d" % i}}]}}}}
        if rnd.random() < 0.3:
            s["spec"]["volumeClaimTemplates"] = [{"metadata": {"name": "data"}, "spec": {
                "accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}}]
        return s

    sizes = {}
    n = 12
    for step in range(steps):
        i = rnd.randrange(n)
        op = rnd.random()
        if op < 0.25:
            apply("apps", "statefulsets", "ct-%d" % i, sts(i))
        elif op < 0.4:
            sizes[i] = sizes.get(i, 1) + rnd.choice([0, 0, 1])
            p = {"apiVersion": "v1", "kind": "PersistentVolumeClaim",
                 "metadata": {"name": "pvc-%d" % i, "labels": {"ctid": str(i)}},
                 "spec": {"accessModes": ["ReadWriteOnce"],
                          "storageClassName": rnd.choice(["standard", "standard", "no-expand"]),
                          "resources": {"requests": {"storage": "%dGi" % sizes[i]}}}}
            if rnd.random() < 0.2:
                p["spec"]["dataSourceRef"] = rnd.choice([
                    {"kind": "VolumeSnapshot", "apiGroup": fake.SNAP_GROUP,
                     "name": "vs-%d" % rnd.randrange(n)},
                    {"kind": "PersistentVolumeClaim", "name": "pvc-%d" % rnd.randrange(n)}])
            apply("", "persistentvolumeclaims", "pvc-%d" % i, p)
        elif op < 0.5:
            apply("", "configmaps", "cm-%d" % i, {"apiVersion": "v1", "kind": "ConfigMap",
                                                   "metadata": {"name": "cm-%d" % i},
                                                   "data": {"step": str(step)}})
        elif op < 0.55:
            delete("", "configmaps", "cm-%d" % i)
        elif op < 0.62:
            delete("", "pods", "ct-%d-%d" % (i, rnd.randrange(2)),
                   rnd.choice([{}, {"gracePeriodSeconds": 0}]))
        elif op < 0.67:
            delete("", "persistentvolumeclaims", "pvc-%d" % i)
        elif op < 0.72:
            delete("apps", "statefulsets", "ct-%d" % i,
                   rnd.choice([{}, {"propagationPolicy": "Orphan"},
                               {"propagationPolicy": "Foreground"}]))
        elif op < 0.8:
            apply(fake.SNAP_GROUP, "volumesnapshots", "vs-%d" % i, {
                "apiVersion": snap_gv, "kind": "VolumeSnapshot", "metadata": {"name": "vs-%d" % i},
                "spec": {"source": {"persistentVolumeClaimName": "pvc-%d" % rnd.randrange(n)}}})
        elif op < 0.83:
            delete(fake.SNAP_GROUP, "volumesnapshots", "vs-%d" % i)
        elif op < 0.9:
            # a pod written by hand: another claim, ConfigMap or owner than its StatefulSet's
            name = "ct-%d-%d" % (i, rnd.randrange(3))
            apply("", "pods", name, {
                "apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
                "spec": {"containers": [{"name": "c", "image": "x:1"}], "volumes": [
                    {"name": "v", "persistentVolumeClaim": {
                        "claimName": "pvc-%d" % rnd.randrange(n)}},
                    {"name": "c", "configMap": {"name": "cm-%d" % rnd.randrange(n)}}]}})
        elif op < 0.95:
            if rnd.random() < 0.5:
                apply("", "secrets", "s-%d" % i, {"apiVersion": "v1", "kind": "Secret",
                                                  "metadata": {"name": "s-%d" % i},
                                                  "stringData": {"a": str(step)}})
            else:
                delete("", "secrets", "s-%d" % i)
        else:
            with cl.lock:
                cl.reconcile()
    missed = os.path.exists(verify) and os.path.getsize(verify) > 0
    print("seed %d: %d steps, resourceVersion %d, %d objects%s" % (
        seed, steps, cl.rv, len(cl.objs), ", MISSED WRITES" if missed else ""))
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
