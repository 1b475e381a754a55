#!/usr/bin/env python3
"""
fake-apiserver.py: a loopback kube-apiserver for Corral's tests.

Python 3 standard library only (PyYAML is used for YAML request bodies when it
is importable). It serves the resources corral-syncd writes, with the
behaviour of the real server that a client can observe: resourceVersion and
uid on every object, Status bodies shaped like kube-apiserver's, validation
and admission errors with the real messages, server-side apply with field
managers and conflicts, list with label and field selectors, chunked watch
streams, simulated controllers (StatefulSet, PVC binding and expansion,
VolumeSnapshot, scheduling, garbage collection), TLS with bearer-token and
client-certificate authentication, and test controls under /_fake/.

What it simulates and what it simplifies: doc/fake-apiserver.md.
Usage: fake-apiserver.py --help
"""

import argparse
import calendar
import collections
import copy
import fractions
import heapq
import http.server
import json
import os
import random
import re
import signal
import socket
import ssl
import sys
import threading
import time
import urllib.parse
import uuid

try:
    import yaml  # optional: YAML bodies; JSON (valid YAML) works without it
except ImportError:  # pragma: no cover
    yaml = None

DEFAULT_MINOR = "33"
DEFAULT_PATCH = "4"
PROVISIONER = "fake.csi.corral.dev"
NODE_NAME = "fake-node-1"
NODE_IP = "10.89.0.2"


# --------------------------------------------------------------------------
# Resource types
# --------------------------------------------------------------------------

VERBS_ALL = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"]


class RType:
    def __init__(self, group, version, plural, kind, namespaced, singular, short=(),
                 subresources=(), name_rule="subdomain", gen=False, status_sub=True,
                 crd=False, return_deleted=False, categories=(), verbs=None,
                 field_selectors=()):
        self.group = group
        self.version = version
        self.plural = plural
        self.kind = kind
        self.namespaced = namespaced
        self.singular = singular
        self.short = list(short)
        self.subresources = list(subresources)
        self.name_rule = name_rule
        self.gen = gen
        self.status_sub = status_sub
        self.crd = crd
        self.return_deleted = return_deleted
        self.categories = list(categories)
        self.verbs = verbs or VERBS_ALL
        self.field_selectors = ("metadata.name", "metadata.namespace") + tuple(field_selectors)

    @property
    def gv(self):
        return self.group + "/" + self.version if self.group else self.version

    @property
    def qualified(self):
        """persistentvolumeclaims, statefulsets.apps: how messages name the resource."""
        return self.plural + ("." + self.group if self.group else "")

    @property
    def qualified_kind(self):
        """PersistentVolumeClaim, StatefulSet.apps: how 422 messages name the kind."""
        return self.kind + ("." + self.group if self.group else "")

    def details(self, name, **extra):
        d = {"name": name}
        if self.group:
            d["group"] = self.group
        d["kind"] = self.plural
        d.update(extra)
        return d


SNAP_GROUP = "snapshot.storage.k8s.io"

RTYPES = [
    RType("", "v1", "namespaces", "Namespace", False, "namespace", ("ns",),
          ("status", "finalize"), name_rule="label",
          verbs=["create", "delete", "get", "list", "patch", "update", "watch"],
          field_selectors=("status.phase",)),
    RType("", "v1", "nodes", "Node", False, "node", ("no",), ("status",),
          field_selectors=("spec.unschedulable",)),
    RType("", "v1", "pods", "Pod", True, "pod", ("po",), ("status", "resize"),
          categories=("all",), return_deleted=True,
          field_selectors=("spec.nodeName", "spec.restartPolicy", "spec.schedulerName",
                           "spec.serviceAccountName", "spec.hostNetwork", "status.phase",
                           "status.podIP", "status.nominatedNodeName")),
    RType("", "v1", "persistentvolumeclaims", "PersistentVolumeClaim", True,
          "persistentvolumeclaim", ("pvc",), ("status",)),
    RType("", "v1", "services", "Service", True, "service", ("svc",), ("status",),
          name_rule="dns1035", categories=("all",)),
    RType("", "v1", "configmaps", "ConfigMap", True, "configmap", ("cm",), status_sub=False),
    RType("", "v1", "secrets", "Secret", True, "secret", (), status_sub=False),
    RType("", "v1", "events", "Event", True, "event", ("ev",), status_sub=False,
          field_selectors=("involvedObject.kind", "involvedObject.namespace",
                           "involvedObject.name", "involvedObject.uid",
                           "involvedObject.apiVersion", "involvedObject.resourceVersion",
                           "involvedObject.fieldPath", "reason", "reportingComponent",
                           "source", "type")),
    RType("apps", "v1", "statefulsets", "StatefulSet", True, "statefulset", ("sts",),
          ("status", "scale"), name_rule="label", gen=True, categories=("all",)),
    RType("storage.k8s.io", "v1", "storageclasses", "StorageClass", False, "storageclass",
          ("sc",), status_sub=False),
    RType(SNAP_GROUP, "v1", "volumesnapshots", "VolumeSnapshot", True, "volumesnapshot",
          ("vs",), ("status",), gen=True, crd=True),
    RType(SNAP_GROUP, "v1", "volumesnapshotclasses", "VolumeSnapshotClass", False,
          "volumesnapshotclass", ("vsclass", "vsclasses"), gen=True, status_sub=False, crd=True),
]
RT = {(r.group, r.plural): r for r in RTYPES}
GROUP_VERSIONS = {"apps": "v1", "storage.k8s.io": "v1", SNAP_GROUP: "v1"}
# a write to one of these makes every controller look at every object again
FULL_RECONCILE_PLURALS = ("namespaces", "storageclasses", "volumesnapshotclasses")
# the simulated controllers, in the order they run after every write
CONTROLLERS = ("c_namespaces", "c_gc", "c_statefulsets", "c_pvc_binder", "c_pvc_resize",
               "c_snapshots", "c_pods", "c_pvc_protection", "c_pod_termination")
# FAKE_APISERVER_VERIFY=FILE: after each incremental reconcile, run a full one and
# append to FILE what the incremental one missed (a check of the indexes, for tests)
VERIFY_FILE = os.environ.get("FAKE_APISERVER_VERIFY")


def rt(group, plural):
    return RT[(group, plural)]


# The fields the fake knows the schema of: the top level of each kind and
# ObjectMeta. Unknown fields there are pruned (with a warning) or refused
# (fieldValidation=Strict), as the real server does; deeper levels are kept.
TOP_FIELDS = {
    "Namespace": ("spec", "status"), "Node": ("spec", "status"), "Pod": ("spec", "status"),
    "PersistentVolumeClaim": ("spec", "status"), "Service": ("spec", "status"),
    "ConfigMap": ("data", "binaryData", "immutable"),
    "Secret": ("data", "stringData", "type", "immutable"),
    "Event": ("involvedObject", "reason", "message", "source", "firstTimestamp",
              "lastTimestamp", "count", "type", "eventTime", "series", "action", "related",
              "reportingComponent", "reportingInstance"),
    "StatefulSet": ("spec", "status"),
    "StorageClass": ("provisioner", "parameters", "reclaimPolicy", "mountOptions",
                     "allowVolumeExpansion", "volumeBindingMode", "allowedTopologies"),
    "VolumeSnapshot": ("spec", "status"),
    "VolumeSnapshotClass": ("driver", "parameters", "deletionPolicy"),
}
META_FIELDS = ("name", "generateName", "namespace", "selfLink", "uid", "resourceVersion",
               "generation", "creationTimestamp", "deletionTimestamp",
               "deletionGracePeriodSeconds", "labels", "annotations", "ownerReferences",
               "finalizers", "managedFields")


# --------------------------------------------------------------------------
# Errors: Status bodies shaped like kube-apiserver's
# --------------------------------------------------------------------------

def status_body(code, reason, message, details=None):
    b = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
         "message": message, "reason": reason}
    if details is not None:
        b["details"] = details
    b["code"] = code
    return b


class ApiError(Exception):
    def __init__(self, code, body, headers=None, text=None):
        super().__init__(body.get("message") if body else text)
        self.code = code
        self.body = body
        self.headers = headers or {}
        self.text = text  # plain-text body instead of a Status


def err_not_found(r, name):
    return ApiError(404, status_body(404, "NotFound", '%s "%s" not found' % (r.qualified, name),
                                     r.details(name)))


def err_ns_not_found(ns):
    return err_not_found(rt("", "namespaces"), ns)


def err_already_exists(r, name):
    return ApiError(409, status_body(409, "AlreadyExists",
                                     '%s "%s" already exists' % (r.qualified, name),
                                     r.details(name)))


def err_conflict(r, name, msg):
    return ApiError(409, status_body(409, "Conflict",
                                     'Operation cannot be fulfilled on %s "%s": %s'
                                     % (r.qualified, name, msg), r.details(name)))


def err_bad_request(msg):
    return ApiError(400, status_body(400, "BadRequest", msg))


def err_method_not_allowed():
    return ApiError(405, status_body(405, "MethodNotAllowed",
                                     "the server does not allow this method on the requested resource",
                                     {}))


def err_resource_not_found():
    return ApiError(404, status_body(404, "NotFound",
                                     "the server could not find the requested resource", {}))


def err_page_not_found():
    return ApiError(404, None, text="404 page not found\n")


def err_unsupported_media(r):
    types = ["application/json-patch+json", "application/merge-patch+json"]
    if not r.crd:
        types.append("application/strategic-merge-patch+json")
    types.append("application/apply-patch+yaml")
    return ApiError(415, status_body(415, "UnsupportedMediaType",
                                     "the body of the request was in an unknown format - "
                                     "accepted media types include: " + ", ".join(types), {}))


def err_forbidden_admission(r, name, msg):
    return ApiError(403, status_body(403, "Forbidden", '%s "%s" is forbidden: %s'
                                     % (r.qualified, name, msg), r.details(name)))


def err_decode(r, msg):
    return err_bad_request('%s in version "%s" cannot be handled as a %s: %s'
                           % (r.kind, r.version, r.kind, msg))


def gorepr(v):
    """Values in field errors, printed roughly as Go's %#v does."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return json.dumps(v)
    if isinstance(v, (int, float)):
        return str(v)
    if isinstance(v, dict) and all(isinstance(x, str) for x in v.values()):
        return "map[string]string{%s}" % ", ".join(
            "%s:%s" % (json.dumps(k), json.dumps(x)) for k, x in sorted(v.items()))
    if isinstance(v, list) and all(isinstance(x, str) for x in v):
        return "[]string{%s}" % ", ".join(json.dumps(x) for x in v)
    if v is None:
        return "null"
    return '"object"'


class FieldErr:
    REASONS = {"required": "FieldValueRequired", "invalid": "FieldValueInvalid",
               "forbidden": "FieldValueForbidden", "notsupported": "FieldValueNotSupported",
               "duplicate": "FieldValueDuplicate", "toolong": "FieldValueTooLong",
               "notfound": "FieldValueNotFound"}

    def __init__(self, field, etype, value=None, detail="", supported=None):
        self.field = field
        self.etype = etype
        self.value = value
        self.detail = detail
        self.supported = supported

    def message(self):
        t = self.etype
        if t == "required":
            m = "Required value"
        elif t == "invalid":
            m = "Invalid value: " + gorepr(self.value)
        elif t == "forbidden":
            m = "Forbidden"
        elif t == "notsupported":
            m = "Unsupported value: " + gorepr(self.value)
            if self.supported:
                m += ": supported values: " + ", ".join(json.dumps(s) for s in self.supported)
            return m
        elif t == "duplicate":
            m = "Duplicate value: " + gorepr(self.value)
        elif t == "notfound":
            m = "Not found: " + gorepr(self.value)
        else:
            m = "Too long"
        if self.detail:
            m += ": " + self.detail
        return m


def err_invalid(r, name, errs):
    causes = [{"reason": FieldErr.REASONS[e.etype], "message": e.message(), "field": e.field}
              for e in errs]
    parts = ["%s: %s" % (e.field, e.message()) for e in errs]
    joined = parts[0] if len(parts) == 1 else "[" + ", ".join(parts) + "]"
    details = {"name": name}
    if r.group:
        details["group"] = r.group
    details["kind"] = r.kind
    details["causes"] = causes
    return ApiError(422, status_body(422, "Invalid", '%s "%s" is invalid: %s'
                                     % (r.qualified_kind, name, joined), details))


def err_invalid_options(kind, errs):
    causes = [{"reason": FieldErr.REASONS[e.etype], "message": e.message(), "field": e.field}
              for e in errs]
    parts = ["%s: %s" % (e.field, e.message()) for e in errs]
    joined = parts[0] if len(parts) == 1 else "[" + ", ".join(parts) + "]"
    return ApiError(422, status_body(422, "Invalid", '%s.meta.k8s.io "" is invalid: %s'
                                     % (kind, joined),
                                     {"group": "meta.k8s.io", "kind": kind, "causes": causes}))


# --------------------------------------------------------------------------
# Names, labels, quantities
# --------------------------------------------------------------------------

LABEL_RE = r"[a-z0-9]([-a-z0-9]*[a-z0-9])?"
SUBDOMAIN_RE = LABEL_RE + r"(\." + LABEL_RE + r")*"
DNS1035_RE = r"[a-z]([-a-z0-9]*[a-z0-9])?"
QNAME_RE = r"([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]"
LVALUE_RE = r"(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?"
CONFIGKEY_RE = r"[-._a-zA-Z0-9]+"

MSG_LABEL = ("a lowercase RFC 1123 label must consist of lower case alphanumeric characters "
             "or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  "
             "or '123-abc', regex used for validation is '%s')" % LABEL_RE)
MSG_SUBDOMAIN = ("a lowercase RFC 1123 subdomain must consist of lower case alphanumeric "
                 "characters, '-' or '.', and must start and end with an alphanumeric character "
                 "(e.g. 'example.com', regex used for validation is '%s')" % SUBDOMAIN_RE)
MSG_DNS1035 = ("a DNS-1035 label must consist of lower case alphanumeric characters or '-', "
               "start with an alphabetic character, and end with an alphanumeric character "
               "(e.g. 'my-name',  or 'abc-123', regex used for validation is '%s')" % DNS1035_RE)
MSG_QNAME = ("name part must consist of alphanumeric characters, '-', '_' or '.', and must "
             "start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or "
             "'123-abc', regex used for validation is '%s')" % QNAME_RE)
MSG_QNAME_SLASH = ("a qualified name must consist of alphanumeric characters, '-', '_' or '.', "
                   "and must start and end with an alphanumeric character (e.g. 'MyName',  or "
                   "'my.name',  or '123-abc', regex used for validation is '%s') with an optional "
                   "DNS subdomain prefix and '/' (e.g. 'example.com/MyName')" % QNAME_RE)
MSG_LVALUE = ("a valid label must be an empty string or consist of alphanumeric characters, "
              "'-', '_' or '.', and must start and end with an alphanumeric character (e.g. "
              "'MyValue',  or 'my_value',  or '12345', regex used for validation is '%s')"
              % LVALUE_RE)
MSG_CONFIGKEY = ("a valid config key must consist of alphanumeric characters, '-', '_' or '.' "
                 "(e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation "
                 "is '%s')" % CONFIGKEY_RE)


def full(rx, s):
    return isinstance(s, str) and re.fullmatch(rx, s) is not None


def name_msgs(rule, name):
    msgs = []
    if rule == "label":
        if len(name) > 63:
            msgs.append("must be no more than 63 characters")
        if not full(LABEL_RE, name):
            msgs.append(MSG_LABEL)
    elif rule == "dns1035":
        if len(name) > 63:
            msgs.append("must be no more than 63 characters")
        if not full(DNS1035_RE, name):
            msgs.append(MSG_DNS1035)
    else:
        if len(name) > 253:
            msgs.append("must be no more than 253 characters")
        if not full(SUBDOMAIN_RE, name):
            msgs.append(MSG_SUBDOMAIN)
    return msgs


def qualified_name_msgs(key):
    parts = key.split("/")
    if len(parts) == 1:
        name = parts[0]
    elif len(parts) == 2:
        prefix, name = parts
        if not prefix:
            return ["prefix part must be non-empty"]
        msgs = ["prefix part " + m for m in name_msgs("subdomain", prefix)]
        if msgs:
            return msgs
    else:
        return [MSG_QNAME_SLASH]
    if not name:
        return ["name part must be non-empty"]
    msgs = []
    if len(name) > 63:
        msgs.append("name part must be no more than 63 characters")
    if not full(QNAME_RE, name):
        msgs.append(MSG_QNAME)
    return msgs


def label_value_msgs(v):
    msgs = []
    if len(v) > 63:
        msgs.append("must be no more than 63 characters")
    if not full(LVALUE_RE, v):
        msgs.append(MSG_LVALUE)
    return msgs


def validate_labels(labels, field):
    errs = []
    for k, v in (labels or {}).items():
        for m in qualified_name_msgs(k):
            errs.append(FieldErr(field, "invalid", k, m))
        for m in label_value_msgs(v):
            errs.append(FieldErr(field, "invalid", v, m))
    return errs


QTY_RE = re.compile(r"^([+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+))"
                    r"((?:[KMGTPE]i)|[numkMGTPE]?|[eE][+-]?[0-9]+)$")
BIN = {"Ki": 1, "Mi": 2, "Gi": 3, "Ti": 4, "Pi": 5, "Ei": 6}
DEC = {"n": -9, "u": -6, "m": -3, "": 0, "k": 3, "M": 6, "G": 9, "T": 12, "P": 15, "E": 18}
DEC_SUFFIX = {v: k for k, v in DEC.items()}
QTY_MSG = ("quantities must match the regular expression "
           "'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'")


def parse_qty(s):
    """Returns (Fraction value, format) or raises ValueError."""
    if isinstance(s, bool):
        raise ValueError(QTY_MSG)
    if isinstance(s, int):
        return fractions.Fraction(s), "DecimalSI"
    if isinstance(s, float):
        return fractions.Fraction(str(s)), "DecimalSI"
    if not isinstance(s, str):
        raise ValueError(QTY_MSG)
    m = QTY_RE.match(s)
    if not m:
        raise ValueError(QTY_MSG)
    num = fractions.Fraction(m.group(1))
    suf = m.group(2)
    if suf in BIN:
        return num * (1024 ** BIN[suf]), "BinarySI"
    if suf[:1] in ("e", "E"):
        return num * fractions.Fraction(10) ** int(suf[1:]), "DecimalExponent"
    return num * fractions.Fraction(10) ** DEC[suf], "DecimalSI"


def format_qty(value, fmt):
    """Canonical form, as resource.Quantity.String() prints it."""
    if value == 0:
        return "0"
    sign = "-" if value < 0 else ""
    v = abs(value)
    if fmt == "BinarySI" and v >= 1024 and v.denominator == 1:
        n, e = v.numerator, 0
        while n % 1024 == 0 and e < 6:
            n //= 1024
            e += 1
        suffix = [k for k, x in BIN.items() if x == e][0] if e else ""
        return sign + str(n) + suffix
    # decimal: integer mantissa, exponent a multiple of 3 (rounded up to 1n precision)
    exp = 0
    while v.denominator != 1 and exp > -9:
        v *= 1000
        exp -= 3
    if v.denominator != 1:
        v = fractions.Fraction(-(-v.numerator // v.denominator))
    n = v.numerator
    while n != 0 and n % 10 == 0:
        n //= 10
        exp += 1
    r = exp % 3
    n *= 10 ** r
    exp -= r
    if fmt == "DecimalExponent":
        return sign + str(n) + ("e%d" % exp if exp else "")
    if exp > 18:
        n *= 10 ** (exp - 18)
        exp = 18
    return sign + str(n) + DEC_SUFFIX[exp]


def canon_qty(s):
    v, fmt = parse_qty(s)
    return format_qty(v, fmt)


def qty_value(s):
    return parse_qty(s)[0]


# --------------------------------------------------------------------------
# Selectors
# --------------------------------------------------------------------------

class SelectorError(Exception):
    pass


def parse_label_selector(s):
    """Returns a list of (key, op, values); op in = != in notin exists !exists gt lt."""
    reqs = []
    i, n = 0, len(s or "")
    s = s or ""
    ident_stop = " \t,=!()<>"

    def skip_ws():
        nonlocal i
        while i < n and s[i] in " \t":
            i += 1

    def ident():
        nonlocal i
        j = i
        while i < n and s[i] not in ident_stop:
            i += 1
        return s[j:i]

    while True:
        skip_ws()
        if i >= n:
            break
        neg = False
        if s[i] == "!":
            neg = True
            i += 1
            skip_ws()
        key = ident()
        if not key:
            raise SelectorError("found '%s', expected: !, identifier, or 'end of string'"
                                % (s[i] if i < n else ""))
        for m in qualified_name_msgs(key):
            raise SelectorError("unable to parse requirement: <nil>: Invalid value: %s: %s"
                                % (json.dumps(key), m))
        skip_ws()
        if neg:
            reqs.append((key, "!exists", []))
        elif i >= n or s[i] == ",":
            reqs.append((key, "exists", []))
        elif s.startswith("==", i) or s.startswith("!=", i):
            op = "=" if s[i] == "=" else "!="
            i += 2
            skip_ws()
            val = ident()
            reqs.append((key, op, [val]))
        elif s[i] == "=":
            i += 1
            skip_ws()
            reqs.append((key, "=", [ident()]))
        elif s[i] in "<>":
            op = "gt" if s[i] == ">" else "lt"
            i += 1
            skip_ws()
            val = ident()
            if not re.fullmatch(r"-?[0-9]+", val):
                raise SelectorError("unable to parse requirement: for 'Gt', 'Lt' operators, "
                                    "the value must be an integer")
            reqs.append((key, op, [val]))
        else:
            word = ident()
            if word not in ("in", "notin"):
                raise SelectorError("found '%s', expected: in, notin, =, ==, !=, gt, lt"
                                    % word)
            skip_ws()
            if i >= n or s[i] != "(":
                raise SelectorError("found '%s', expected: '('" % (s[i] if i < n else ""))
            i += 1
            vals = []
            while True:
                skip_ws()
                vals.append(ident())
                skip_ws()
                if i < n and s[i] == ",":
                    i += 1
                    continue
                if i < n and s[i] == ")":
                    i += 1
                    break
                raise SelectorError("found '%s', expected: ',' or ')'"
                                    % (s[i] if i < n else ""))
            reqs.append((key, word, vals))
        for v in reqs[-1][2]:
            for m in label_value_msgs(v):
                raise SelectorError("unable to parse requirement: values[0][%s]: Invalid "
                                    "value: %s: %s" % (key, json.dumps(v), m))
        skip_ws()
        if i < n:
            if s[i] != ",":
                raise SelectorError("found '%s', expected: ',' or 'end of string'" % s[i])
            i += 1
    return reqs


def labels_match(reqs, labels):
    labels = labels or {}
    for key, op, vals in reqs:
        has = key in labels
        v = labels.get(key)
        if op == "exists" and not has:
            return False
        if op == "!exists" and has:
            return False
        if op in ("=", "in") and (not has or v not in vals):
            return False
        if op in ("!=", "notin") and has and v in vals:
            return False
        if op in ("gt", "lt"):
            if not has or not re.fullmatch(r"-?[0-9]+", v):
                return False
            if op == "gt" and not int(v) > int(vals[0]):
                return False
            if op == "lt" and not int(v) < int(vals[0]):
                return False
    return True


def parse_field_selector(r, s):
    reqs = []
    for term in (s or "").split(","):
        term = term.strip()
        if not term:
            continue
        m = re.fullmatch(r"([^=!]+?)\s*(==|!=|=)\s*(.*)", term)
        if not m:
            raise SelectorError("invalid selector: '%s'; can't understand '%s'" % (s, term))
        field, op, val = m.group(1), m.group(2), m.group(3)
        if field not in r.field_selectors:
            raise SelectorError('field label not supported: %s' % field)
        reqs.append((field, "!=" if op == "!=" else "=", val))
    return reqs


def field_value(obj, field):
    cur = obj
    for part in field.split("."):
        if not isinstance(cur, dict):
            return ""
        cur = cur.get(part)
    if cur is None:
        return ""
    if isinstance(cur, bool):
        return "true" if cur else "false"
    if isinstance(cur, dict):
        return ""
    return str(cur)


def fields_match(reqs, obj):
    for field, op, val in reqs:
        v = field_value(obj, field)
        if op == "=" and v != val:
            return False
        if op == "!=" and v == val:
            return False
    return True


def selector_match(sel, labels):
    """A metav1.LabelSelector (matchLabels/matchExpressions) against labels."""
    if not sel:
        return False
    labels = labels or {}
    for k, v in (sel.get("matchLabels") or {}).items():
        if labels.get(k) != v:
            return False
    for e in sel.get("matchExpressions") or []:
        k, op, vals = e.get("key"), e.get("operator"), e.get("values") or []
        if op == "In" and labels.get(k) not in vals:
            return False
        if op == "NotIn" and k in labels and labels[k] in vals:
            return False
        if op == "Exists" and k not in labels:
            return False
        if op == "DoesNotExist" and k in labels:
            return False
    return True


# --------------------------------------------------------------------------
# Field sets and server-side apply (a subset of structured-merge-diff)
# --------------------------------------------------------------------------

# Lists merged by key (associative lists) in the Kubernetes schema, by field name.
ASSOC_KEYS = {
    "containers": ("name",), "initContainers": ("name",), "ephemeralContainers": ("name",),
    "env": ("name",), "volumes": ("name",), "volumeMounts": ("mountPath",),
    "volumeDevices": ("devicePath",), "imagePullSecrets": ("name",),
    "conditions": ("type",), "ownerReferences": ("uid",), "hostAliases": ("ip",),
    "resourceClaims": ("name",), "readinessGates": ("conditionType",),
    "topologySpreadConstraints": ("topologyKey", "whenUnsatisfiable"),
}
SET_LISTS = {"finalizers"}
ATOMIC_MAPS = {"selector", "dataSource", "dataSourceRef"}
STRIP_META = ("name", "namespace", "uid", "resourceVersion", "generation", "creationTimestamp",
              "managedFields", "selfLink", "deletionTimestamp", "deletionGracePeriodSeconds")


def list_keys(fname, items):
    if fname in ASSOC_KEYS:
        return ASSOC_KEYS[fname]
    if fname == "ports" and items and all(isinstance(x, dict) for x in items):
        if any("containerPort" in x for x in items):
            return ("containerPort", "protocol")
        return ("port", "protocol")
    return None


def item_key(keys, item):
    k = {}
    for f in keys:
        v = item.get(f)
        if v is None and f == "protocol":
            v = "TCP"
        if v is not None:
            k[f] = v
    return "k:" + json.dumps(k, sort_keys=True, separators=(",", ":"))


def field_paths(v, path=(), out=None, fname=None):
    """The set of owned leaf paths of a (partial) object, as FieldsV1 path tuples."""
    if out is None:
        out = set()
    if isinstance(v, dict):
        if not v or fname in ATOMIC_MAPS:
            out.add(path)
            return out
        for k, sub in v.items():
            if sub is None:
                continue
            field_paths(sub, path + ("f:" + k,), out, k)
    elif isinstance(v, list):
        keys = list_keys(fname, v)
        if keys and all(isinstance(x, dict) for x in v):
            for item in v:
                kp = path + (item_key(keys, item),)
                out.add(kp + (".",))
                for k, sub in item.items():
                    if sub is not None:
                        field_paths(sub, kp + ("f:" + k,), out, k)
        elif fname in SET_LISTS:
            for item in v:
                out.add(path + ("v:" + json.dumps(item, separators=(",", ":")),))
        else:
            out.add(path)
    else:
        out.add(path)
    return out


def object_paths(obj, with_status=False):
    o = {k: v for k, v in obj.items() if k not in ("apiVersion", "kind")}
    if not with_status:
        o.pop("status", None)
    md = {k: v for k, v in (o.get("metadata") or {}).items() if k not in STRIP_META}
    if md:
        o["metadata"] = md
    else:
        o.pop("metadata", None)
    return field_paths(o)


_MISSING = object()


def value_at(obj, path):
    cur = obj
    fname = None
    for el in path:
        if el == ".":
            return cur
        if el.startswith("f:"):
            if not isinstance(cur, dict) or el[2:] not in cur:
                return _MISSING
            fname = el[2:]
            cur = cur[fname]
        elif el.startswith("k:"):
            if not isinstance(cur, list):
                return _MISSING
            keys = list_keys(fname, cur)
            found = _MISSING
            for item in cur:
                if isinstance(item, dict) and keys and item_key(keys, item) == el:
                    found = item
                    break
            cur = found
            if cur is _MISSING:
                return _MISSING
        elif el.startswith("v:"):
            if not isinstance(cur, list):
                return _MISSING
            val = json.loads(el[2:])
            return val if val in cur else _MISSING
    return cur


def remove_path(obj, path):
    """Remove the field at path (a leaf, a list item with '.', or a set member)."""
    if not path:
        return
    parent_path, last = path[:-1], path[-1]
    if last == ".":
        item_el = parent_path[-1]
        lst = value_at(obj, parent_path[:-1])
        if isinstance(lst, list):
            fname = parent_path[-2][2:] if len(parent_path) > 1 else None
            keys = list_keys(fname, lst)
            lst[:] = [x for x in lst if not (isinstance(x, dict) and keys and
                                             item_key(keys, x) == item_el)]
        return
    parent = value_at(obj, parent_path)
    if last.startswith("f:") and isinstance(parent, dict):
        parent.pop(last[2:], None)
    elif last.startswith("v:") and isinstance(parent, list):
        val = json.loads(last[2:])
        parent[:] = [x for x in parent if x != val]


def prune_parents(obj, path, owned):
    """Drop the maps a removal left empty (as omitempty does), unless someone owns them."""
    parent = path[:-1]
    if parent and parent[-1] == ".":
        parent = parent[:-2]
    while parent and parent[-1].startswith("f:"):
        v = value_at(obj, parent)
        if not isinstance(v, dict) or v or parent in owned:
            return
        remove_path(obj, parent)
        parent = parent[:-1]


def ssa_merge(live, applied, fname=None):
    if isinstance(applied, dict) and isinstance(live, dict) and fname not in ATOMIC_MAPS:
        out = dict(live)
        for k, v in applied.items():
            if v is None:
                continue
            out[k] = ssa_merge(live[k], v, k) if k in live else jcopy(v)
        return out
    if isinstance(applied, list) and isinstance(live, list):
        keys = list_keys(fname, applied or live)
        if keys and all(isinstance(x, dict) for x in applied + live):
            live_by = {item_key(keys, x): x for x in live}
            seen = set()
            out = []
            for item in applied:
                k = item_key(keys, item)
                seen.add(k)
                out.append(ssa_merge(live_by[k], item) if k in live_by else jcopy(item))
            out.extend(jcopy(x) for x in live if item_key(keys, x) not in seen)
            return out
        if fname in SET_LISTS:
            out = list(live)
            out.extend(x for x in applied if x not in out)
            return out
    return jcopy(applied)


def strip_nulls(v):
    if isinstance(v, dict):
        return {k: strip_nulls(x) for k, x in v.items() if x is not None}
    if isinstance(v, list):
        return [strip_nulls(x) for x in v]
    return v


def path_str(path):
    """.spec.template.spec.containers[name="c"].image, as the conflict messages print."""
    s = ""
    for el in path:
        if el.startswith("f:"):
            s += "." + el[2:]
        elif el.startswith("k:"):
            k = json.loads(el[2:])
            s += "[" + ",".join("%s=%s" % (a, json.dumps(b)) for a, b in k.items()) + "]"
        elif el.startswith("v:"):
            s += "[=" + el[2:] + "]"
    return s


def fields_v1(paths):
    tree = {}
    for p in sorted(paths):
        cur = tree
        for el in p:
            cur = cur.setdefault(el, {})
    return tree


def paths_from_v1(tree, prefix=()):
    out = set()
    for k, sub in tree.items():
        p = prefix + (k,)
        if sub:
            out |= paths_from_v1(sub, p)
        else:
            out.add(p)
    return out


# --------------------------------------------------------------------------
# Patches
# --------------------------------------------------------------------------

def merge_patch(target, patch):
    """RFC 7386 JSON merge patch."""
    if not isinstance(patch, dict):
        return jcopy(patch)
    out = dict(target) if isinstance(target, dict) else {}
    for k, v in patch.items():
        if v is None:
            out.pop(k, None)
        else:
            out[k] = merge_patch(out.get(k), v)
    return out


def strip_directives(v):
    if isinstance(v, dict):
        return {k: strip_directives(x) for k, x in v.items()
                if not k.startswith("$") and x is not None}
    if isinstance(v, list):
        return [strip_directives(x) for x in v if not (isinstance(x, dict) and
                                                        x.get("$patch") == "delete")]
    return v


def strategic_merge(orig, patch, fname=None):
    """Strategic merge patch, with the merge keys of ASSOC_KEYS (enough for our types)."""
    if not isinstance(patch, dict) or not isinstance(orig, dict):
        return strip_directives(patch)
    if patch.get("$patch") == "replace":
        return strip_directives(patch)
    out = dict(orig)
    for k, v in patch.items():
        if k.startswith("$deleteFromPrimitiveList/"):
            f = k.split("/", 1)[1]
            if isinstance(out.get(f), list):
                out[f] = [x for x in out[f] if x not in v]
            continue
        if k.startswith("$"):
            continue
        if v is None:
            out.pop(k, None)
        elif isinstance(v, dict) and isinstance(out.get(k), dict):
            if v.get("$patch") == "delete":
                out.pop(k, None)
            else:
                out[k] = strategic_merge(out[k], v, k)
        elif isinstance(v, list) and isinstance(out.get(k), list):
            keys = list_keys(k, v or out[k])
            if keys and all(isinstance(x, dict) for x in v + out[k]):
                key = keys[0]
                res = [jcopy(x) for x in out[k]]
                for item in v:
                    idx = next((i for i, x in enumerate(res) if x.get(key) == item.get(key)),
                               None)
                    if item.get("$patch") == "delete":
                        if idx is not None:
                            del res[idx]
                    elif idx is not None:
                        res[idx] = strategic_merge(res[idx], item)
                    else:
                        res.append(strip_directives(item))
                out[k] = res
            elif k in SET_LISTS:
                out[k] = out[k] + [x for x in v if x not in out[k]]
            else:
                out[k] = strip_directives(v)
        else:
            out[k] = strip_directives(v)
    return out


def json_pointer(path):
    if path == "":
        return []
    if not path.startswith("/"):
        raise ValueError("JSON pointer must start with '/': %s" % path)
    return [p.replace("~1", "/").replace("~0", "~") for p in path[1:].split("/")]


def json_patch(doc, ops):
    doc = jcopy(doc)
    if not isinstance(ops, list):
        raise ValueError("the patch must be a list of operations")

    def walk(parts):
        cur = doc
        for p in parts[:-1]:
            if isinstance(cur, list):
                cur = cur[int(p)]
            elif isinstance(cur, dict):
                cur = cur[p]
            else:
                raise KeyError(p)
        return cur, parts[-1]

    def get(parts):
        cur = doc
        for p in parts:
            cur = cur[int(p)] if isinstance(cur, list) else cur[p]
        return cur

    def add(parts, val):
        nonlocal doc
        if not parts:
            doc = val
            return
        parent, last = walk(parts)
        if isinstance(parent, list):
            if last == "-":
                parent.append(val)
            else:
                parent.insert(int(last), val)
        else:
            parent[last] = val

    def remove(parts):
        parent, last = walk(parts)
        if isinstance(parent, list):
            del parent[int(last)]
        else:
            del parent[last]

    for op in ops:
        kind = op.get("op")
        parts = json_pointer(op.get("path", ""))
        try:
            if kind == "add":
                add(parts, jcopy(op.get("value")))
            elif kind == "remove":
                remove(parts)
            elif kind == "replace":
                get(parts)
                remove(parts)
                add(parts, jcopy(op.get("value")))
            elif kind == "move":
                frm = json_pointer(op.get("from", ""))
                v = get(frm)
                remove(frm)
                add(parts, v)
            elif kind == "copy":
                add(parts, jcopy(get(json_pointer(op.get("from", "")))))
            elif kind == "test":
                if get(parts) != op.get("value"):
                    raise ValueError("testing value %s failed" % op.get("path"))
            else:
                raise ValueError("Unexpected kind: %s" % kind)
        except (KeyError, IndexError, TypeError) as e:
            raise ValueError("doc is missing path: \"%s\": missing value" % op.get("path")) from e
    return doc


# --------------------------------------------------------------------------
# Small helpers
# --------------------------------------------------------------------------

def now_ts():
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def fnv32a(data):
    h = 0x811C9DC5
    for b in data:
        h ^= b
        h = (h * 0x01000193) & 0xFFFFFFFF
    return h


SAFE_ALPHANUMS = "bcdfghjklmnpqrstvwxz2456789"


def safe_encode(s):
    return "".join(SAFE_ALPHANUMS[ord(c) % len(SAFE_ALPHANUMS)] for c in s)


def rand_suffix(n=5):
    return "".join(random.choice(SAFE_ALPHANUMS) for _ in range(n))


def dig(obj, *path, default=None):
    cur = obj
    for p in path:
        if isinstance(cur, dict) and p in cur:
            cur = cur[p]
        elif isinstance(cur, list) and isinstance(p, int) and -len(cur) <= p < len(cur):
            cur = cur[p]
        else:
            return default
    return cur


def meta(obj):
    return obj.setdefault("metadata", {})


def jcopy(v):
    """copy.deepcopy for JSON data (dicts, lists, scalars), several times faster."""
    t = type(v)
    if t is dict:
        return {k: jcopy(x) for k, x in v.items()}
    if t is list:
        return [jcopy(x) for x in v]
    if t is str or t is int or t is float or t is bool or v is None:
        return v
    return copy.deepcopy(v)


def with_status(obj, status):
    """A new object: obj with another status. Only what a write changes is copied (the
    store never changes an object in place: the rest can be shared)."""
    new = dict(obj)
    new["metadata"] = dict(obj["metadata"])
    new["status"] = status
    return new


_uuid_random = random.Random(os.urandom(16))


def new_uuid():
    """A random (version 4) UUID without a system call per UUID: one per request made
    the fake's answers slow on a busy machine."""
    return str(uuid.UUID(int=_uuid_random.getrandbits(128), version=4))


def same_but_version(a, b):
    """a == b but for metadata.resourceVersion and metadata.managedFields."""
    ma, mb = a.get("metadata"), b.get("metadata")
    if not isinstance(ma, dict) or not isinstance(mb, dict):
        return a == b
    if a.keys() != b.keys() or any(a[k] != b[k] for k in a if k != "metadata"):
        return False
    skip = ("resourceVersion", "managedFields")
    return {k: v for k, v in ma.items() if k not in skip} == \
        {k: v for k, v in mb.items() if k not in skip}


META_ORDER = ("name", "generateName", "namespace", "uid", "resourceVersion", "generation",
              "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "labels",
              "annotations", "ownerReferences", "finalizers", "managedFields")


def canonical_order(obj):
    """Key order as kube-apiserver writes objects: kind, apiVersion, metadata, ..., status."""
    md = obj.get("metadata")
    if isinstance(md, dict):
        for k in ("labels", "annotations", "finalizers", "ownerReferences"):
            if k in md and not md[k]:
                del md[k]  # omitempty
        omd = {k: md[k] for k in META_ORDER if k in md}
        omd.update((k, v) for k, v in md.items() if k not in omd)
        md.clear()
        md.update(omd)
    out = {k: obj[k] for k in ("kind", "apiVersion", "metadata") if k in obj}
    out.update((k, v) for k, v in obj.items() if k not in out and k != "status")
    if "status" in obj:
        out["status"] = obj["status"]
    obj.clear()
    obj.update(out)
    return obj


def spec_part(obj):
    """What counts for metadata.generation: everything but metadata and status."""
    return {k: v for k, v in obj.items()
            if k not in ("metadata", "status", "apiVersion", "kind")}


# --------------------------------------------------------------------------
# Per-kind defaulting, admission and validation
# --------------------------------------------------------------------------

ACCESS_MODES = ["ReadOnlyMany", "ReadWriteMany", "ReadWriteOnce", "ReadWriteOncePod"]
SA_MOUNT = "/var/run/secrets/kubernetes.io/serviceaccount"


def image_pull_policy(image):
    if "@" in image:
        return "IfNotPresent"
    last = image.rsplit("/", 1)[-1]
    if ":" not in last or last.rsplit(":", 1)[1] == "latest":
        return "Always"
    return "IfNotPresent"


def default_container(c):
    c.setdefault("terminationMessagePath", "/dev/termination-log")
    c.setdefault("terminationMessagePolicy", "File")
    if isinstance(c.get("image"), str) and "imagePullPolicy" not in c:
        c["imagePullPolicy"] = image_pull_policy(c["image"])
    c.setdefault("resources", {})
    for p in c.get("ports") or []:
        if isinstance(p, dict):
            p.setdefault("protocol", "TCP")
    for e in c.get("env") or []:
        fr = dig(e, "valueFrom", "fieldRef")
        if isinstance(fr, dict):
            fr.setdefault("apiVersion", "v1")


def default_requests(spec):
    """A container's missing request of a resource defaults to its limit (pod create and
    pods/resize alike)."""
    for c in spec.get("containers") or []:
        res = c.get("resources") if isinstance(c, dict) else None
        if isinstance(res, dict) and res.get("limits"):
            req = res.setdefault("requests", {})
            for rn, q in res["limits"].items():
                req.setdefault(rn, q)


def node_object(name, minor):
    """A node as its kubelet registers it. From 1.30 (RecursiveReadOnlyMounts or
    UserNamespacesSupport on; 1.31 has the first on by default) the kubelet reports
    the container runtime's handlers: containerd 2 names runc and the default one
    (\"\"), each with userNamespaces, as a v1.31.2 node does. Tests change what a
    node reports as a kubelet would: PUT or PATCH nodes/NAME/status."""
    st = {"nodeInfo": {"kubeletVersion": "v1.%d.%s" % (minor, DEFAULT_PATCH),
                       "containerRuntimeVersion": "containerd://2.0.11",
                       "architecture": "amd64", "operatingSystem": "linux"},
          "addresses": [{"type": "InternalIP", "address": NODE_IP},
                        {"type": "Hostname", "address": name}],
          "conditions": [{"type": "Ready", "status": "True", "reason": "KubeletReady",
                          "message": "kubelet is posting ready status"}]}
    if minor >= 30:
        st["runtimeHandlers"] = [
            {"features": {"recursiveReadOnlyMounts": True, "userNamespaces": True},
             "name": n} for n in ("runc", "")]
    return {"metadata": {"name": name, "labels": {
        "beta.kubernetes.io/arch": "amd64", "beta.kubernetes.io/os": "linux",
        "kubernetes.io/arch": "amd64", "kubernetes.io/hostname": name,
        "kubernetes.io/os": "linux"}},
        "spec": {"podCIDR": "10.244.0.0/24", "podCIDRs": ["10.244.0.0/24"]},
        "status": st}


def default_pod_spec(spec):
    spec.setdefault("restartPolicy", "Always")
    spec.setdefault("terminationGracePeriodSeconds", 30)
    spec.setdefault("dnsPolicy", "ClusterFirst")
    spec.setdefault("securityContext", {})
    spec.setdefault("schedulerName", "default-scheduler")
    for key in ("containers", "initContainers"):
        for c in spec.get(key) or []:
            if isinstance(c, dict):
                default_container(c)
    for v in spec.get("volumes") or []:
        if not isinstance(v, dict):
            continue
        for k in ("configMap", "secret"):
            if isinstance(v.get(k), dict):
                v[k].setdefault("defaultMode", 420)
        if isinstance(v.get("hostPath"), dict):
            v["hostPath"].setdefault("type", "")


def canon_resources(res, field, errs):
    for part in ("requests", "limits"):
        for k, q in list((res or {}).get(part, {}).items()):
            try:
                res[part][k] = canon_qty(q)
            except ValueError:
                errs.append(field)


def pod_spec_quantities(spec):
    bad = []
    for key in ("containers", "initContainers"):
        for c in spec.get(key) or []:
            if isinstance(c, dict) and isinstance(c.get("resources"), dict):
                canon_resources(c["resources"], key, bad)
    return bad


def validate_pod_spec(spec, p, template=False):
    errs = []
    if not isinstance(spec, dict):
        return [FieldErr(p, "required")]
    vols = {}
    for i, v in enumerate(spec.get("volumes") or []):
        vp = "%s.volumes[%d]" % (p, i)
        n = v.get("name") if isinstance(v, dict) else None
        if not n:
            errs.append(FieldErr(vp + ".name", "required"))
            continue
        for m in name_msgs("label", n):
            errs.append(FieldErr(vp + ".name", "invalid", n, m))
        if n in vols:
            errs.append(FieldErr(vp + ".name", "duplicate", n))
        vols[n] = v
        pvc = v.get("persistentVolumeClaim")
        if isinstance(pvc, dict) and not pvc.get("claimName"):
            errs.append(FieldErr(vp + ".persistentVolumeClaim.claimName", "required"))
    containers = spec.get("containers") or []
    if not containers:
        errs.append(FieldErr(p + ".containers", "required"))
    names = set()
    for key in ("initContainers", "containers"):
        for i, c in enumerate(spec.get(key) or []):
            cp = "%s.%s[%d]" % (p, key, i)
            if not isinstance(c, dict):
                errs.append(FieldErr(cp, "invalid", c, "must be an object"))
                continue
            n = c.get("name")
            if not n:
                errs.append(FieldErr(cp + ".name", "required"))
            else:
                for m in name_msgs("label", n):
                    errs.append(FieldErr(cp + ".name", "invalid", n, m))
                if n in names:
                    errs.append(FieldErr(cp + ".name", "duplicate", n))
                names.add(n)
            if not c.get("image"):
                errs.append(FieldErr(cp + ".image", "required"))
            mounts = set()
            for j, vm in enumerate(c.get("volumeMounts") or []):
                mp = "%s.volumeMounts[%d]" % (cp, j)
                if not vm.get("name"):
                    errs.append(FieldErr(mp + ".name", "required"))
                elif vm["name"] not in vols:
                    errs.append(FieldErr(mp + ".name", "notfound", vm["name"]))
                if not vm.get("mountPath"):
                    errs.append(FieldErr(mp + ".mountPath", "required"))
                elif vm["mountPath"] in mounts:
                    errs.append(FieldErr(mp + ".mountPath", "invalid", vm["mountPath"],
                                         "must be unique"))
                mounts.add(vm.get("mountPath"))
            for j, port in enumerate(c.get("ports") or []):
                cport = port.get("containerPort")
                if not isinstance(cport, int) or not 1 <= cport <= 65535:
                    errs.append(FieldErr("%s.ports[%d].containerPort" % (cp, j), "invalid", cport,
                                         "must be between 1 and 65535, inclusive"))
            res = c.get("resources") or {}
            for rname in ("cpu", "memory"):
                req = dig(res, "requests", rname)
                lim = dig(res, "limits", rname)
                if req is not None and lim is not None and qty_value(req) > qty_value(lim):
                    errs.append(FieldErr(cp + ".resources.requests", "invalid", req,
                                         "must be less than or equal to %s limit of %s"
                                         % (rname, lim)))
    rp = spec.get("restartPolicy")
    if template and rp != "Always":
        errs.append(FieldErr(p + ".restartPolicy", "notsupported", rp, supported=["Always"]))
    elif rp not in ("Always", "OnFailure", "Never"):
        errs.append(FieldErr(p + ".restartPolicy", "notsupported", rp,
                             supported=["Always", "Never", "OnFailure"]))
    if spec.get("dnsPolicy") == "None" and not spec.get("dnsConfig"):
        errs.append(FieldErr(p + ".dnsConfig", "required",
                             detail="must provide `dnsConfig` when `dnsPolicy` is None"))
    dc = spec.get("dnsConfig") or {}
    if len(dc.get("nameservers") or []) > 3:
        errs.append(FieldErr(p + ".dnsConfig.nameservers", "invalid", dc["nameservers"],
                             "must not have more than 3 nameservers"))
    if spec.get("dnsPolicy") == "None" and not dc.get("nameservers"):
        errs.append(FieldErr(p + ".dnsConfig.nameservers", "required",
                             detail="must provide at least one DNS nameserver when `dnsPolicy` "
                                    "is None"))
    if spec.get("hostname"):
        for m in name_msgs("label", spec["hostname"]):
            errs.append(FieldErr(p + ".hostname", "invalid", spec["hostname"], m))
    tg = spec.get("terminationGracePeriodSeconds")
    if tg is not None and (not isinstance(tg, int) or tg < 0) and not template:
        errs.append(FieldErr(p + ".terminationGracePeriodSeconds", "invalid", tg,
                             "must be greater than or equal to 0"))
    return errs


POD_UPDATE_MSG = ("pod updates may not change fields other than `spec.containers[*].image`,"
                  "`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,"
                  "`spec.tolerations` (only additions to existing tolerations),"
                  "`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was "
                  "previously negative)")
STS_UPDATE_MSG = ("updates to statefulset spec for fields other than 'replicas', 'ordinals', "
                  "'template', 'updateStrategy', 'revisionHistoryLimit', "
                  "'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden")
PVC_IMMUTABLE_MSG = ("spec is immutable after creation except resources.requests and "
                     "volumeAttributesClassName for bound claims")


class Kinds:
    """Defaulting, admission and validation for the served kinds (cluster = the store)."""

    def __init__(self, cluster):
        self.c = cluster

    # -- normalisation: quantities in canonical form; decode-time type errors -----------

    def normalize(self, r, obj):
        md = obj.get("metadata")
        if md is not None and not isinstance(md, dict):
            raise err_decode(r, "json: cannot unmarshal %s into Go struct field %s.metadata of "
                                "type v1.ObjectMeta" % (type(md).__name__, r.kind))
        for f in ("labels", "annotations"):
            vals = (md or {}).get(f)
            if vals is None:
                continue
            if not isinstance(vals, dict):
                raise err_decode(r, "json: cannot unmarshal array into Go struct field "
                                    "ObjectMeta.metadata.%s of type map[string]string" % f)
            for v in vals.values():
                if not isinstance(v, str):
                    t = "number" if isinstance(v, (int, float)) and not isinstance(v, bool) \
                        else "bool" if isinstance(v, bool) else "object"
                    raise err_decode(r, "json: cannot unmarshal %s into Go struct field "
                                        "ObjectMeta.metadata.%s of type string" % (t, f))
        if r.kind == "ConfigMap":
            for k, v in (obj.get("data") or {}).items():
                if not isinstance(v, str):
                    raise err_decode(r, "json: cannot unmarshal %s into Go struct field "
                                        "ConfigMap.data of type string"
                                     % ("number" if isinstance(v, (int, float)) else "object"))
        if r.kind == "Secret":
            import base64
            import binascii
            for part in ("data", "stringData"):
                for k, v in (obj.get(part) or {}).items():
                    if not isinstance(v, str):
                        raise err_decode(r, "json: cannot unmarshal %s into Go struct field "
                                            "Secret.%s of type %s"
                                         % ("number" if isinstance(v, (int, float)) else "object",
                                            part, "[]uint8" if part == "data" else "string"))
                    if part == "data":
                        try:
                            base64.b64decode(v, validate=True)
                        except (binascii.Error, ValueError):
                            raise err_decode(r, "illegal base64 data at input byte %d" % len(v))
        if r.kind == "StatefulSet":
            rep = dig(obj, "spec", "replicas")
            if rep is not None and (not isinstance(rep, int) or isinstance(rep, bool)):
                raise err_decode(r, "json: cannot unmarshal %s into Go struct field "
                                    "StatefulSetSpec.spec.replicas of type int32"
                                 % ("string" if isinstance(rep, str) else "number"))
        try:
            if r.kind == "PersistentVolumeClaim":
                res = dig(obj, "spec", "resources")
                if isinstance(res, dict):
                    canon_resources(res, "spec", [])
                    for part in ("requests", "limits"):
                        for k, q in (res.get(part) or {}).items():
                            canon_qty(q)
                cap = dig(obj, "status", "capacity")
                if isinstance(cap, dict):
                    for k in cap:
                        cap[k] = canon_qty(cap[k])
            elif r.kind == "Pod":
                if pod_spec_quantities(obj.get("spec") or {}):
                    raise ValueError(QTY_MSG)
            elif r.kind == "StatefulSet":
                if pod_spec_quantities(dig(obj, "spec", "template", "spec") or {}):
                    raise ValueError(QTY_MSG)
                for vct in dig(obj, "spec", "volumeClaimTemplates") or []:
                    canon_resources(dig(vct, "spec", "resources"), "vct", [])
        except ValueError as e:
            raise err_decode(r, str(e))

    # -- defaulting (SetDefaults_*) and strategy PrepareForCreate ---------------------------

    def default(self, r, obj, old):
        k = r.kind
        spec = obj.get("spec")
        if k == "Secret":
            # stringData is write-only: merged into data (base64), never stored
            import base64
            sd = obj.pop("stringData", None) or {}
            if sd:
                data = obj.setdefault("data", {})
                for key, v in sd.items():
                    data[key] = base64.b64encode(v.encode("utf-8")).decode()
            obj.setdefault("type", "Opaque")
        if k == "Namespace":
            meta(obj).setdefault("labels", {})["kubernetes.io/metadata.name"] = obj["metadata"]["name"]
            obj.setdefault("spec", {}).setdefault("finalizers", ["kubernetes"])
            if old is None:
                obj["status"] = {"phase": "Active"}
        elif k == "Pod":
            if isinstance(spec, dict):
                self.drop_host_users(spec, (old or {}).get("spec"))
                default_pod_spec(spec)
                spec.setdefault("enableServiceLinks", True)
                default_requests(spec)
            if old is None:
                obj["status"] = {"phase": "Pending", "qosClass": qos_class(spec or {})}
        elif k == "PersistentVolumeClaim":
            if isinstance(spec, dict):
                spec.setdefault("volumeMode", "Filesystem")
                ds, dsr = spec.get("dataSource"), spec.get("dataSourceRef")
                if ds and not dsr:
                    spec["dataSourceRef"] = jcopy(ds)
                elif dsr and not ds and not dsr.get("namespace"):
                    spec["dataSource"] = {x: y for x, y in dsr.items() if x != "namespace"}
            if old is None:
                obj["status"] = {"phase": "Pending"}
        elif k == "Service":
            if isinstance(spec, dict):
                spec.setdefault("type", "ClusterIP")
                spec.setdefault("sessionAffinity", "None")
                if old is not None:
                    os_ = old.get("spec") or {}
                    if "clusterIP" not in spec and "clusterIP" in os_:
                        spec["clusterIP"] = os_["clusterIP"]
                    if "clusterIPs" not in spec and "clusterIPs" in os_:
                        spec["clusterIPs"] = os_["clusterIPs"]
                if "clusterIP" not in spec:
                    spec["clusterIP"] = self.c.alloc_service_ip()
                spec.setdefault("clusterIPs", [spec["clusterIP"]])
                spec.setdefault("ipFamilies", ["IPv4"])
                spec.setdefault("ipFamilyPolicy", "SingleStack")
                spec.setdefault("internalTrafficPolicy", "Cluster")
                for p in spec.get("ports") or []:
                    if isinstance(p, dict):
                        p.setdefault("protocol", "TCP")
                        if "port" in p:
                            p.setdefault("targetPort", p["port"])
            if old is None:
                obj["status"] = {"loadBalancer": {}}
        elif k == "StatefulSet":
            if isinstance(spec, dict):
                spec.setdefault("replicas", 1)
                spec.setdefault("podManagementPolicy", "OrderedReady")
                us = spec.setdefault("updateStrategy", {})
                if isinstance(us, dict):
                    us.setdefault("type", "RollingUpdate")
                    if us["type"] == "RollingUpdate":
                        us.setdefault("rollingUpdate", {}).setdefault("partition", 0)
                spec.setdefault("revisionHistoryLimit", 10)
                spec.setdefault("persistentVolumeClaimRetentionPolicy",
                                {"whenDeleted": "Retain", "whenScaled": "Retain"})
                ts = dig(spec, "template", "spec")
                if isinstance(ts, dict):
                    self.drop_host_users(ts, dig(old or {}, "spec", "template", "spec"))
                    default_pod_spec(ts)
                for vct in spec.get("volumeClaimTemplates") or []:
                    if isinstance(vct, dict):
                        vct.setdefault("apiVersion", "v1")
                        vct.setdefault("kind", "PersistentVolumeClaim")
                        if isinstance(vct.get("spec"), dict):
                            vct["spec"].setdefault("volumeMode", "Filesystem")
                        vct.setdefault("status", {"phase": "Pending"})
            if old is None:
                obj["status"] = {"replicas": 0, "availableReplicas": 0}
        elif k == "StorageClass":
            obj.setdefault("reclaimPolicy", "Delete")
            obj.setdefault("volumeBindingMode", "Immediate")
        elif k == "VolumeSnapshot":
            if old is None:
                obj.pop("status", None)

    def drop_host_users(self, spec, old_spec):
        """dropDisabledFields: with UserNamespacesSupport off, hostUsers goes, unless the
        old object already had hostUsers: false (observed on v1.31.2: a dry run of a pod
        with hostUsers: false comes back without it)."""
        if self.c.userns_gate() or "hostUsers" not in spec:
            return
        if isinstance(old_spec, dict) and old_spec.get("hostUsers") is False:
            return
        del spec["hostUsers"]

    # -- mutating admission --------------------------------------------------------------

    def admit_mutate(self, r, obj, old, internal=False):
        k = r.kind
        if k == "PersistentVolumeClaim" and old is None:
            spec = obj.get("spec")
            if isinstance(spec, dict) and "storageClassName" not in spec:
                sc = self.c.default_storage_class()
                if sc:
                    spec["storageClassName"] = sc
            fins = meta(obj).setdefault("finalizers", [])
            if "kubernetes.io/pvc-protection" not in fins:
                fins.append("kubernetes.io/pvc-protection")
        if k == "Pod" and old is None and isinstance(obj.get("spec"), dict):
            spec = obj["spec"]
            spec.setdefault("serviceAccountName", "default")
            spec["serviceAccount"] = spec["serviceAccountName"]
            spec.setdefault("priority", 0)
            spec.setdefault("preemptionPolicy", "PreemptLowerPriority")
            tol = spec.setdefault("tolerations", [])
            for key in ("node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable"):
                if not any(t.get("key") == key for t in tol if isinstance(t, dict)):
                    tol.append({"key": key, "operator": "Exists", "effect": "NoExecute",
                                "tolerationSeconds": 300})
            if spec.get("automountServiceAccountToken") is not False:
                self._inject_token(spec)

    def _inject_token(self, spec):
        cs = [c for key in ("initContainers", "containers") for c in spec.get(key) or []
              if isinstance(c, dict)]
        if any(vm.get("mountPath") == SA_MOUNT for c in cs for vm in c.get("volumeMounts") or []):
            return
        name = "kube-api-access-" + rand_suffix()
        spec.setdefault("volumes", []).append({"name": name, "projected": {
            "sources": [
                {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}},
                {"configMap": {"name": "kube-root-ca.crt",
                               "items": [{"key": "ca.crt", "path": "ca.crt"}]}},
                {"downwardAPI": {"items": [{"path": "namespace", "fieldRef": {
                    "apiVersion": "v1", "fieldPath": "metadata.namespace"}}]}}],
            "defaultMode": 420}})
        for c in cs:
            c.setdefault("volumeMounts", []).append({"name": name, "readOnly": True,
                                                     "mountPath": SA_MOUNT})

    # -- validation ----------------------------------------------------------------------

    def validate_meta(self, r, obj, old):
        errs = []
        md = obj.get("metadata") or {}
        name = md.get("name", "")
        if old is None:
            for m in name_msgs(r.name_rule, name):
                errs.append(FieldErr("metadata.name", "invalid", name, m))
        errs += validate_labels(md.get("labels"), "metadata.labels")
        ann = md.get("annotations") or {}
        for key in ann:
            for m in qualified_name_msgs(key.lower()):
                errs.append(FieldErr("metadata.annotations", "invalid", key, m))
        size = sum(len(a) + len(b) for a, b in ann.items())
        if size > 262144:
            errs.append(FieldErr("metadata.annotations", "toolong",
                                 detail="must have at most 262144 bytes"))
        for i, f in enumerate(md.get("finalizers") or []):
            for m in qualified_name_msgs(f) if isinstance(f, str) else ["must be a string"]:
                errs.append(FieldErr("metadata.finalizers[%d]" % i, "invalid", f, m))
        for i, o in enumerate(md.get("ownerReferences") or []):
            for fld in ("apiVersion", "kind", "name", "uid"):
                if not (isinstance(o, dict) and o.get(fld)):
                    errs.append(FieldErr("metadata.ownerReferences[%d].%s" % (i, fld),
                                         "required" if fld != "uid" else "invalid",
                                         "" if fld == "uid" else None,
                                         "uid must not be empty" if fld == "uid" else ""))
        return errs

    def validate(self, r, obj, old):
        errs = self.validate_meta(r, obj, old)
        fn = getattr(self, "validate_" + r.kind, None)
        if fn:
            errs += fn(obj, old)
        return errs

    def validate_Pod(self, obj, old):
        spec = obj.get("spec")
        errs = validate_pod_spec(spec, "spec")
        if old is not None and not errs:
            a, b = jcopy(spec), jcopy(old.get("spec"))
            for s in (a, b):
                for key in ("containers", "initContainers"):
                    for c in s.get(key) or []:
                        c.pop("image", None)
                s.pop("activeDeadlineSeconds", None)
                s.pop("terminationGracePeriodSeconds", None)
                s.pop("tolerations", None)
                s.pop("nodeName", None) if old.get("spec", {}).get("nodeName") is None else None
            if a != b:
                errs.append(FieldErr("spec", "forbidden", detail=POD_UPDATE_MSG))
        return errs

    def validate_PersistentVolumeClaim(self, obj, old):
        errs = []
        spec = obj.get("spec")
        if not isinstance(spec, dict):
            return [FieldErr("spec", "required")]
        am = spec.get("accessModes") or []
        if not am:
            errs.append(FieldErr("spec.accessModes", "required",
                                 detail="at least 1 access mode is required"))
        for m in am:
            if m not in ACCESS_MODES:
                errs.append(FieldErr("spec.accessModes", "notsupported", m,
                                     supported=ACCESS_MODES))
        storage = dig(spec, "resources", "requests", "storage")
        if storage is None:
            errs.append(FieldErr("spec.resources[storage]", "required"))
        elif qty_value(storage) <= 0:
            errs.append(FieldErr("spec.resources[storage]", "invalid", storage,
                                 "must be greater than zero"))
        vm = spec.get("volumeMode")
        if vm not in ("Filesystem", "Block"):
            errs.append(FieldErr("spec.volumeMode", "notsupported", vm,
                                 supported=["Block", "Filesystem"]))
        if spec.get("storageClassName"):
            for m in name_msgs("subdomain", spec["storageClassName"]):
                errs.append(FieldErr("spec.storageClassName", "invalid",
                                     spec["storageClassName"], m))
        for fld in ("dataSource", "dataSourceRef"):
            d = spec.get(fld)
            if d is None:
                continue
            fp = "spec." + fld
            if not isinstance(d, dict):
                errs.append(FieldErr(fp, "invalid", d, "must be an object"))
                continue
            if not d.get("name"):
                errs.append(FieldErr(fp + ".name", "required"))
            if not d.get("kind"):
                errs.append(FieldErr(fp + ".kind", "required"))
            elif not d.get("apiGroup") and d["kind"] != "PersistentVolumeClaim":
                errs.append(FieldErr(fp, "invalid", d["kind"],
                                     "must be 'PersistentVolumeClaim' when referencing the "
                                     "default apiGroup"))
        ds, dsr = spec.get("dataSource"), spec.get("dataSourceRef")
        if isinstance(ds, dict) and isinstance(dsr, dict) and not dsr.get("namespace"):
            if {x: y for x, y in ds.items()} != {x: y for x, y in dsr.items()
                                                  if x != "namespace"}:
                errs.append(FieldErr("spec", "invalid", "",
                                     "must match dataSourceRef"))
        if old is not None and not errs:
            ospec = old.get("spec") or {}
            a, b = jcopy(spec), jcopy(ospec)
            bound = dig(old, "status", "phase") == "Bound"
            for s in (a, b):
                s.pop("volumeAttributesClassName", None)
            if bound and isinstance(dig(a, "resources", "requests"), dict):
                a["resources"]["requests"]["storage"] = dig(b, "resources", "requests", "storage")
            if a != b:
                errs.append(FieldErr("spec", "forbidden", detail=PVC_IMMUTABLE_MSG))
            new_sz = qty_value(storage)
            old_sz = qty_value(dig(ospec, "resources", "requests", "storage") or 0)
            cap = dig(old, "status", "capacity", "storage")
            if int(self.c.minor_int()) >= 32 and cap is not None:
                if new_sz < old_sz and new_sz <= qty_value(cap):
                    errs.append(FieldErr("spec.resources.requests.storage", "forbidden",
                                         detail="field can not be less than status.capacity"))
            elif new_sz < old_sz:
                errs.append(FieldErr("spec.resources.requests.storage", "forbidden",
                                     detail="field can not be less than previous value"))
        return errs

    def validate_Service(self, obj, old):
        errs = []
        spec = obj.get("spec")
        if not isinstance(spec, dict):
            return [FieldErr("spec", "required")]
        types = ["ClusterIP", "ExternalName", "LoadBalancer", "NodePort"]
        if spec.get("type") not in types:
            errs.append(FieldErr("spec.type", "notsupported", spec.get("type"), supported=types))
        ports = spec.get("ports") or []
        headless = spec.get("clusterIP") == "None"
        if not ports and not headless and spec.get("type") != "ExternalName":
            errs.append(FieldErr("spec.ports", "required"))
        names = set()
        for i, p in enumerate(ports):
            pp = "spec.ports[%d]" % i
            if len(ports) > 1 and not p.get("name"):
                errs.append(FieldErr(pp + ".name", "required"))
            if p.get("name"):
                if p["name"] in names:
                    errs.append(FieldErr(pp + ".name", "duplicate", p["name"]))
                names.add(p["name"])
            port = p.get("port")
            if not isinstance(port, int) or not 1 <= port <= 65535:
                errs.append(FieldErr(pp + ".port", "invalid", port,
                                     "must be between 1 and 65535, inclusive"))
            if p.get("protocol") not in ("TCP", "UDP", "SCTP"):
                errs.append(FieldErr(pp + ".protocol", "notsupported", p.get("protocol"),
                                     supported=["SCTP", "TCP", "UDP"]))
        errs += validate_labels(spec.get("selector"), "spec.selector")
        if old is not None:
            oip = dig(old, "spec", "clusterIP")
            if spec.get("clusterIP") != oip and oip:
                errs.append(FieldErr("spec.clusterIPs[0]", "invalid", spec.get("clusterIPs"),
                                     "may not change once set"))
                errs.append(FieldErr("spec.clusterIP", "invalid", spec.get("clusterIP"),
                                     "field is immutable"))
        return errs

    def validate_ConfigMap(self, obj, old):
        errs = []
        keys = set()
        size = 0
        for part in ("data", "binaryData"):
            for key, v in (obj.get(part) or {}).items():
                if not full(CONFIGKEY_RE, key):
                    errs.append(FieldErr("%s[%s]" % (part, key), "invalid", key, MSG_CONFIGKEY))
                if len(key) > 253:
                    errs.append(FieldErr("%s[%s]" % (part, key), "invalid", key,
                                         "must be no more than 253 characters"))
                if key in keys:
                    errs.append(FieldErr("data[%s]" % key, "invalid", key,
                                         "duplicate of key present in binaryData"))
                keys.add(key)
                size += len(v or "")
        if size > 1048576:
            errs.append(FieldErr("", "toolong", detail="must have at most 1048576 bytes"))
        if old is not None and old.get("immutable"):
            if obj.get("data") != old.get("data"):
                errs.append(FieldErr("data", "forbidden",
                                     detail="field is immutable when `immutable` is set"))
            if obj.get("binaryData") != old.get("binaryData"):
                errs.append(FieldErr("binaryData", "forbidden",
                                     detail="field is immutable when `immutable` is set"))
            if not obj.get("immutable"):
                errs.append(FieldErr("immutable", "forbidden",
                                     detail="field is immutable when `immutable` is set"))
        return errs

    def validate_Secret(self, obj, old):
        import base64
        errs = []
        size = 0
        for key, v in (obj.get("data") or {}).items():
            if not full(CONFIGKEY_RE, key):
                errs.append(FieldErr("data[%s]" % key, "invalid", key, MSG_CONFIGKEY))
            size += len(base64.b64decode(v or ""))
        if size > 1048576:
            errs.append(FieldErr("data", "toolong", detail="must have at most 1048576 bytes"))
        if old is not None:
            if old.get("type") != obj.get("type"):
                errs.append(FieldErr("type", "invalid", obj.get("type"),
                                     "field is immutable"))
            if old.get("immutable") and obj.get("data") != old.get("data"):
                errs.append(FieldErr("data", "forbidden",
                                     detail="field is immutable when `immutable` is set"))
        return errs

    def validate_StatefulSet(self, obj, old):
        errs = []
        spec = obj.get("spec")
        if not isinstance(spec, dict):
            return [FieldErr("spec", "required")]
        rep = spec.get("replicas")
        if isinstance(rep, int) and rep < 0:
            errs.append(FieldErr("spec.replicas", "invalid", rep,
                                 "must be greater than or equal to 0"))
        sel = spec.get("selector")
        tmpl = spec.get("template") or {}
        tl = dig(tmpl, "metadata", "labels") or {}
        if not sel:
            errs.append(FieldErr("spec.selector", "required"))
        elif not sel.get("matchLabels") and not sel.get("matchExpressions"):
            errs.append(FieldErr("spec.selector", "invalid", sel,
                                 "empty selector is invalid for statefulset"))
        elif not selector_match(sel, tl):
            errs.append(FieldErr("spec.template.metadata.labels", "invalid", tl,
                                 "`selector` does not match template `labels`"))
        if sel:
            errs += validate_labels(sel.get("matchLabels"), "spec.selector.matchLabels")
        errs += validate_labels(tl, "spec.template.metadata.labels")
        pmp = spec.get("podManagementPolicy")
        if pmp not in ("OrderedReady", "Parallel"):
            errs.append(FieldErr("spec.podManagementPolicy", "invalid", pmp,
                                 "must be 'OrderedReady' or 'Parallel'"))
        us = spec.get("updateStrategy") or {}
        if us.get("type") not in ("RollingUpdate", "OnDelete"):
            errs.append(FieldErr("spec.updateStrategy", "invalid", us.get("type"),
                                 "must be 'RollingUpdate' or 'OnDelete'"))
        elif us.get("type") == "OnDelete" and us.get("rollingUpdate") is not None:
            errs.append(FieldErr("spec.updateStrategy.rollingUpdate", "invalid",
                                 us["rollingUpdate"],
                                 "only allowed for updateStrategy 'RollingUpdate'"))
        part = dig(us, "rollingUpdate", "partition")
        if isinstance(part, int) and part < 0:
            errs.append(FieldErr("spec.updateStrategy.rollingUpdate.partition", "invalid", part,
                                 "must be greater than or equal to 0"))
        errs += validate_pod_spec(tmpl.get("spec"), "spec.template.spec", template=True)
        for i, vct in enumerate(spec.get("volumeClaimTemplates") or []):
            n = dig(vct, "metadata", "name")
            if not n:
                errs.append(FieldErr("spec.volumeClaimTemplates[%d].metadata.name" % i,
                                     "required"))
        if old is not None:
            a, b = jcopy(spec), jcopy(old.get("spec") or {})
            for s in (a, b):
                for f in ("replicas", "template", "updateStrategy", "minReadySeconds",
                          "ordinals", "revisionHistoryLimit",
                          "persistentVolumeClaimRetentionPolicy"):
                    s.pop(f, None)
            if a != b:
                errs.append(FieldErr("spec", "forbidden", detail=STS_UPDATE_MSG))
        return errs

    def validate_StorageClass(self, obj, old):
        errs = []
        if not obj.get("provisioner"):
            errs.append(FieldErr("provisioner", "required"))
        if obj.get("reclaimPolicy") not in ("Delete", "Retain"):
            errs.append(FieldErr("reclaimPolicy", "notsupported", obj.get("reclaimPolicy"),
                                 supported=["Delete", "Retain"]))
        if obj.get("volumeBindingMode") not in ("Immediate", "WaitForFirstConsumer"):
            errs.append(FieldErr("volumeBindingMode", "notsupported",
                                 obj.get("volumeBindingMode"),
                                 supported=["Immediate", "WaitForFirstConsumer"]))
        if old is not None:
            for f in ("parameters", "provisioner", "reclaimPolicy"):
                if obj.get(f) != old.get(f):
                    errs.append(FieldErr(f, "forbidden", detail="updates to %s are forbidden." % f))
            if obj.get("volumeBindingMode") != old.get("volumeBindingMode"):
                errs.append(FieldErr("volumeBindingMode", "invalid", obj.get("volumeBindingMode"),
                                     "field is immutable"))
        return errs

    def validate_VolumeSnapshot(self, obj, old):
        errs = []
        spec = obj.get("spec")
        if not isinstance(spec, dict):
            return [FieldErr("spec", "required")]
        src = spec.get("source")
        if not isinstance(src, dict):
            return [FieldErr("spec.source", "required")]
        if ("persistentVolumeClaimName" in src) == ("volumeSnapshotContentName" in src):
            errs.append(FieldErr("spec.source", "invalid", {"a": 1},
                                 "Exactly one of volumeSnapshotContentName and "
                                 "persistentVolumeClaimName must be set"))
        if spec.get("volumeSnapshotClassName") == "":
            errs.append(FieldErr("spec.volumeSnapshotClassName", "invalid", "string",
                                 "volumeSnapshotClassName must not be the empty string when set"))
        if old is not None:
            osrc = dig(old, "spec", "source") or {}
            for f in ("persistentVolumeClaimName", "volumeSnapshotContentName"):
                if src.get(f) != osrc.get(f):
                    errs.append(FieldErr("spec.source." + f if f in src else "spec.source",
                                         "invalid", "string" if f in src else {"a": 1},
                                         "%s is immutable" % f))
        return errs

    def validate_VolumeSnapshotClass(self, obj, old):
        errs = []
        if not obj.get("driver"):
            errs.append(FieldErr("driver", "required"))
        if "deletionPolicy" not in obj:
            errs.append(FieldErr("deletionPolicy", "required"))
        elif obj["deletionPolicy"] not in ("Delete", "Retain"):
            errs.append(FieldErr("deletionPolicy", "notsupported", obj["deletionPolicy"],
                                 supported=["Delete", "Retain"]))
        if old is not None and obj.get("parameters") != old.get("parameters"):
            errs.append(FieldErr("parameters", "invalid", {"a": 1}, "parameters are immutable"))
        return errs

    # -- validating admission ------------------------------------------------------------

    def admit_validate(self, r, obj, old):
        if r.kind == "PersistentVolumeClaim" and old is not None:
            new_sz = qty_value(dig(obj, "spec", "resources", "requests", "storage") or 0)
            old_sz = qty_value(dig(old, "spec", "resources", "requests", "storage") or 0)
            if new_sz > old_sz and dig(old, "status", "phase") == "Bound":
                sc = self.c.find(rt("storage.k8s.io", "storageclasses"), "",
                                 dig(old, "spec", "storageClassName") or "")
                if not (sc and sc.get("allowVolumeExpansion") is True):
                    raise err_forbidden_admission(
                        r, obj["metadata"]["name"],
                        "only dynamically provisioned pvc can be resized and the storageclass "
                        "that provisions the pvc must support resize")


def qos_class(spec):
    cs = [c for key in ("containers", "initContainers") for c in spec.get(key) or []
          if isinstance(c, dict)]
    any_res = False
    guaranteed = bool(cs)
    for c in cs:
        res = c.get("resources") or {}
        req, lim = res.get("requests") or {}, res.get("limits") or {}
        if req or lim:
            any_res = True
        for rn in ("cpu", "memory"):
            if rn not in lim or (rn in req and qty_value(req[rn]) != qty_value(lim[rn])):
                guaranteed = False
    if not any_res:
        return "BestEffort"
    return "Guaranteed" if guaranteed else "Burstable"


# --------------------------------------------------------------------------
# The store and the API operations
# --------------------------------------------------------------------------

FAKE_CA_PEM = "-----BEGIN CERTIFICATE-----\nMIIBfakeCorralTestCA\n-----END CERTIFICATE-----\n"
ROOT_CA_DESC = ("Contains a CA bundle that can be used to verify the kube-apiserver when using "
                "internal endpoints such as the internal service IP or "
                "kubernetes.default.svc. No other usage is guaranteed across distributions of "
                "Kubernetes clusters.")
CONTROLLER = "kube-controller-manager"


def default_settings():
    return {
        "minor": DEFAULT_MINOR,             # /version minor; "33+" style accepted
        "git_version": None,                # default v1.<minor>.<patch>
        "snapshot_api": True,               # serve snapshot.storage.k8s.io
        "snapshot_ready": "immediate",      # or "manual": /_fake/volumesnapshot marks ready
        "resize_delay": 0.0,                # seconds; < 0: wait for /_fake/pvc finish_resize
        "pod_termination_delay": 0.0,       # seconds a deleted pod stays Terminating
        "bookmark_interval": 60.0,          # seconds between BOOKMARK events
        "watch_window": 10000,              # events kept for watches from a resourceVersion
        "watch_chunk": 0,                   # > 0: re-chunk watch output into N-byte chunks
        "watch_timeout": 1800,              # default watch timeoutSeconds
        "tokens": {},                       # bearer token -> user
        "forbid": [],                       # [{"user", "verb", "resource", "namespace"}]
        "unbindable": [],                   # StorageClass names whose PVCs stay Pending
        "bind_delay": 0.0,                  # seconds a new PVC stays Pending (provisioning)
        "scheduler_backoff": 0.0,           # seconds an unschedulable pod waits to be retried
        "max_volume_size": None,            # e.g. "1Ti": the resizer refuses larger (OutOfRange)
        "image_pull_fail": [],              # regexes: matching images get ImagePullBackOff
        "unschedulable": False,             # every new pod stays Pending (Insufficient memory)
        "userns_gate": None,                # kube-apiserver's UserNamespacesSupport; None: from 33
        "log_bodies": True,                 # keep request bodies in the request log
    }


class Cluster:
    def __init__(self, settings):
        self.lock = threading.RLock()
        self.cond = threading.Condition(self.lock)
        self.settings = settings
        self.kinds = Kinds(self)
        self.log = []
        self.log_seq = 0
        self.stats = {"connections": 0, "tls_failures": 0, "requests": 0}
        self.tls_errors = []
        self.api_conns = set()
        self.faults = []
        self.live_watches = []
        self.hang_release = threading.Event()
        self.epoch = 0
        self.deadlines = []
        self.reset()

    # -- state ---------------------------------------------------------------------------

    def reset(self):
        with self.lock:
            self.objs = {}
            # indexes kept by _index_put/_index_drop, so that the controllers do not scan
            # every object after every write (DESIGN: doc/fake-apiserver.md, "Speed")
            self.by_type = {}       # (group, plural) -> {key: obj}
            self.by_uid = {}        # uid -> key
            self.owned = {}         # owner uid (controller reference) -> {key}
            self.pod_refs = {}      # (ns, "pvc"|"cm"|"secret", name) -> {pod key}
            self.ds_pvcs = set()    # PVCs with a dataSource or dataSourceRef
            self.changes = []       # keys written since the controllers last looked
            self.ctrl_pos = {}      # controller -> position in changes it has seen
            self.full_epoch = 1     # bumped when every controller must look at everything
            self.ctrl_epoch = {}    # controller -> full_epoch of its last full pass
            self.rv = 0
            self.events = collections.deque()
            self.event_copies = {}  # FAKE_APISERVER_VERIFY: rv -> copies of the event's objects
            self.compacted = 0
            self.pod_overrides = {}
            self.resize_overrides = {}   # (ns, name) -> {"resize", "message", "uid"}
            self.snap_overrides = {}
            self.pod_state = {}
            self.resize_state = {}
            self.pod_delete_due = {}
            # (ns, claim) -> until when the kubelet still has the volume mounted: a pod
            # deleted outright (gracePeriodSeconds 0, a force delete) leaves its volumes
            # mounted for pod_termination_delay seconds after its object is gone
            self.mounted_until = {}
            self.deleted_in_use = []     # PVCs deleted while mounted: "ns/name"
            self.bind_due = {}           # PVC uid -> when the provisioner is done (bind_delay)
            self.sched_due = {}          # pod uid -> when the scheduler tries it again
            self.event_keys = {}         # what an Event was recorded for -> its key (once)
            self.ip_next = 10
            self.svc_ip_next = 10
            self.deadlines = []
            self.epoch += 1
            for w in self.live_watches:
                w["killed"] = True
            self.hang_release.set()
            self.hang_release = threading.Event()
            for ns in ("default", "kube-system", "kube-public", "kube-node-lease"):
                self.seed(rt("", "namespaces"), {"metadata": {"name": ns}})
            self.seed(rt("", "nodes"), node_object(NODE_NAME, self.minor_int()))
            self.seed(rt("storage.k8s.io", "storageclasses"), {
                "metadata": {"name": "standard", "annotations": {
                    "storageclass.kubernetes.io/is-default-class": "true"}},
                "provisioner": PROVISIONER, "allowVolumeExpansion": True})
            self.seed(rt("storage.k8s.io", "storageclasses"), {
                "metadata": {"name": "no-expand"}, "provisioner": PROVISIONER,
                "allowVolumeExpansion": False})
            self.seed(rt(SNAP_GROUP, "volumesnapshotclasses"), {
                "metadata": {"name": "fake-snapclass", "annotations": {
                    "snapshot.storage.kubernetes.io/is-default-class": "true"}},
                "driver": PROVISIONER, "deletionPolicy": "Delete"})
            self.reconcile()
            self.cond.notify_all()

    # -- a restart: the store survives (etcd), connections and the watch history do not ----

    def save(self, path):
        with self.lock:
            state = {"rv": self.rv, "ip_next": self.ip_next, "svc_ip_next": self.svc_ip_next,
                     "objects": [[list(k), o] for k, o in self.objs.items()],
                     "pod_delete_due": [[list(k), t] for k, t in self.pod_delete_due.items()]}
            tmp = "%s.tmp.%d" % (path, os.getpid())
            with open(tmp, "w") as f:
                json.dump(state, f)
            os.rename(tmp, path)

    def load(self, path):
        with open(path) as f:
            state = json.load(f)
        with self.lock:
            for k in list(self.objs):
                self._index_drop(k)
            for k, o in state["objects"]:
                self._index_put(tuple(k), o)
            self.rv = state["rv"]
            # a new watch cache: a watch from before the restart must list again (410)
            self.events.clear()
            self.event_copies.clear()
            self.compacted = self.rv
            self.ip_next = state["ip_next"]
            self.svc_ip_next = state["svc_ip_next"]
            now = time.time()
            for k, t in state["pod_delete_due"]:
                self.pod_delete_due[tuple(k)] = t
                self.schedule(max(t - now, 0))
            self.full_epoch += 1
            self.reconcile()

    def seed(self, r, obj):
        obj = jcopy(obj)
        obj["apiVersion"], obj["kind"] = r.gv, r.kind
        self.internal_create(r, obj, "kube-apiserver")

    def minor_int(self):
        m = re.match(r"[0-9]+", str(self.settings["minor"]))
        return int(m.group(0)) if m else 0

    def userns_gate(self):
        """kube-apiserver's UserNamespacesSupport: beta and off by default until 1.32,
        on from 1.33; off, the server drops hostUsers from pods and pod templates."""
        g = self.settings["userns_gate"]
        return self.minor_int() >= 33 if g is None else bool(g)

    def served(self, r):
        if r.group == SNAP_GROUP and not self.settings["snapshot_api"]:
            return False
        return True

    def key(self, r, ns, name):
        return (r.group, r.plural, ns or "", name)

    def find(self, r, ns, name):
        return self.objs.get(self.key(r, ns, name))

    def all(self, r, ns=None):
        out = [o for (_, _, n, _), o in self.by_type.get((r.group, r.plural), {}).items()
               if ns is None or n == ns]
        out.sort(key=lambda o: (o["metadata"].get("namespace", ""), o["metadata"]["name"]))
        return out

    # -- indexes: every change of self.objs goes through these two --------------------------

    @staticmethod
    def _pod_ref_keys(key, pod):
        ns = key[2]
        out = set()
        for v in dig(pod, "spec", "volumes") or []:
            if not isinstance(v, dict):
                continue
            claim = dig(v, "persistentVolumeClaim", "claimName")
            if claim:
                out.add((ns, "pvc", claim))
            cm = v.get("configMap")
            if isinstance(cm, dict) and cm.get("name"):
                out.add((ns, "cm", cm["name"]))
            sec = v.get("secret")
            if isinstance(sec, dict) and sec.get("secretName"):
                out.add((ns, "secret", sec["secretName"]))
        return out

    def _unindex(self, key, old):
        md = old["metadata"]
        if self.by_uid.get(md.get("uid")) == key:
            del self.by_uid[md["uid"]]
        for x in md.get("ownerReferences") or []:
            if isinstance(x, dict) and x.get("controller") and x.get("uid") in self.owned:
                self.owned[x["uid"]].discard(key)
                if not self.owned[x["uid"]]:
                    del self.owned[x["uid"]]
        if key[:2] == ("", "pods"):
            for ref in self._pod_ref_keys(key, old):
                self.pod_refs[ref].discard(key)
                if not self.pod_refs[ref]:
                    del self.pod_refs[ref]
        self.ds_pvcs.discard(key)

    def _index_put(self, key, obj):
        old = self.objs.get(key)
        if old is not None:
            self._unindex(key, old)
            if key[:2] == ("", "pods"):
                # what the pod no longer uses or belongs to must be looked at again too
                plural = {"pvc": "persistentvolumeclaims", "cm": "configmaps",
                          "secret": "secrets"}
                for ns, kind, name in self._pod_ref_keys(key, old) - \
                        self._pod_ref_keys(key, obj):
                    self.changes.append(("", plural[kind], ns, name))
                for x in old["metadata"].get("ownerReferences") or []:
                    if isinstance(x, dict) and x.get("uid") in self.by_uid:
                        self.changes.append(self.by_uid[x["uid"]])
        self.objs[key] = obj
        self.by_type.setdefault(key[:2], {})[key] = obj
        md = obj["metadata"]
        if md.get("uid"):
            self.by_uid[md["uid"]] = key
        for x in md.get("ownerReferences") or []:
            if isinstance(x, dict) and x.get("controller") and x.get("uid"):
                self.owned.setdefault(x["uid"], set()).add(key)
        if key[:2] == ("", "pods"):
            for ref in self._pod_ref_keys(key, obj):
                self.pod_refs.setdefault(ref, set()).add(key)
        if key[:2] == ("", "persistentvolumeclaims") and \
                (dig(obj, "spec", "dataSource") or dig(obj, "spec", "dataSourceRef")):
            self.ds_pvcs.add(key)
        # what the controllers need to look at again; deletions, objects being deleted
        # and cluster-wide objects make every controller look at everything
        if md.get("deletionTimestamp") or key[1] in FULL_RECONCILE_PLURALS:
            self.full_epoch += 1
        self.changes.append(key)

    def _index_drop(self, key):
        old = self.objs.pop(key, None)
        if old is None:
            return
        self._unindex(key, old)
        self.by_type[key[:2]].pop(key, None)
        self.full_epoch += 1
        self.changes.append(key)

    def alloc_service_ip(self):
        self.svc_ip_next += 1
        return "10.96.%d.%d" % (self.svc_ip_next // 250, self.svc_ip_next % 250 + 1)

    def alloc_pod_ip(self):
        self.ip_next += 1
        return "10.244.%d.%d" % (self.ip_next // 250, self.ip_next % 250 + 1)

    def default_storage_class(self):
        scs = [o for o in self.all(rt("storage.k8s.io", "storageclasses"))
               if dig(o, "metadata", "annotations",
                      "storageclass.kubernetes.io/is-default-class") == "true"]
        if not scs:
            return None
        scs.sort(key=lambda o: (o["metadata"]["creationTimestamp"], int(o["metadata"]["resourceVersion"])))
        return scs[-1]["metadata"]["name"]

    def schedule(self, delay):
        heapq.heappush(self.deadlines, time.time() + max(delay, 0))
        self.cond.notify_all()

    def record_event(self, r, obj, etype, reason, message, component, instance=None,
                     host=None):
        """A core v1 Event about obj, as a controller's event recorder writes it (named
        <object>.<hex nanoseconds>, count 1). Recorded once per object, reason and message:
        the real recorders count repeats (count, lastTimestamp); the fake does not, so that
        a controller pass that changes nothing writes nothing."""
        md = obj["metadata"]
        key = (md.get("uid"), etype, reason, message, component)
        if key in self.event_keys:
            return False
        ts = now_ts()
        ev = {"apiVersion": "v1", "kind": "Event",
              "metadata": {"name": "%s.%x" % (md["name"], time.time_ns()),
                           "namespace": md.get("namespace") or "default"},
              "involvedObject": {"kind": r.kind, "namespace": md.get("namespace"),
                                 "name": md["name"], "uid": md.get("uid"),
                                 "apiVersion": r.gv,
                                 "resourceVersion": md.get("resourceVersion")},
              "reason": reason, "message": message,
              "source": {"component": component, **({"host": host} if host else {})},
              "firstTimestamp": ts, "lastTimestamp": ts, "count": 1, "type": etype,
              "eventTime": None, "reportingComponent": component,
              "reportingInstance": instance or ""}
        evr = rt("", "events")
        self.internal_create(evr, ev, manager=component)
        self.event_keys[key] = self.key(evr, ev["metadata"]["namespace"],
                                        ev["metadata"]["name"])
        return True

    # -- low-level writes: every write bumps the global resourceVersion and emits an event --

    # Stored objects are never changed in place: a write stores a new object. So events,
    # responses and lists can share them instead of copying (FAKE_APISERVER_VERIFY checks
    # that nothing changes them behind the store's back).

    def _emit(self, r, etype, obj, old=None):
        self.events.append((self.rv, r, etype, obj, old))
        if VERIFY_FILE:
            self.event_copies[self.rv] = (jcopy(obj), jcopy(old))
        window = max(int(self.settings["watch_window"]), 1)
        while len(self.events) > window:
            self.compacted = self.events.popleft()[0]
            self.event_copies.pop(self.compacted, None)
        self.cond.notify_all()

    def _store_create(self, r, obj):
        self.rv += 1
        obj["metadata"]["resourceVersion"] = str(self.rv)
        canonical_order(obj)
        md = obj["metadata"]
        self._index_put(self.key(r, md.get("namespace"), md["name"]), obj)
        self._emit(r, "ADDED", obj)

    def _store_update(self, r, obj, old):
        self.rv += 1
        obj["metadata"]["resourceVersion"] = str(self.rv)
        canonical_order(obj)
        md = obj["metadata"]
        self._index_put(self.key(r, md.get("namespace"), md["name"]), obj)
        self._emit(r, "MODIFIED", obj, old)

    def _store_delete(self, r, obj):
        self.rv += 1
        md = obj["metadata"]
        self._index_drop(self.key(r, md.get("namespace"), md["name"]))
        obj = jcopy(obj)
        obj["metadata"]["resourceVersion"] = str(self.rv)
        self._emit(r, "DELETED", obj)
        k = (md.get("namespace", ""), md["name"])
        if r.kind == "PersistentVolumeClaim" and \
                self.mounted_until.get(k, 0) > time.time():
            self.deleted_in_use.append("%s/%s" % k)
        if r.kind == "Pod":
            self.pod_state.pop(md.get("uid"), None)
            self.sched_due.pop(md.get("uid"), None)
            self.pod_delete_due.pop(k, None)
        if r.kind == "PersistentVolumeClaim":
            self.resize_state.pop(k, None)
            self.bind_due.pop(md.get("uid"), None)
        return obj

    # -- managed fields ------------------------------------------------------------------

    @staticmethod
    def mf_parse(obj):
        out = {}
        for e in dig(obj, "metadata", "managedFields") or []:
            k = (e.get("manager"), e.get("operation"), e.get("subresource"))
            out[k] = {"apiVersion": e.get("apiVersion"), "time": e.get("time"),
                      "set": paths_from_v1(e.get("fieldsV1") or {})}
        return out

    @staticmethod
    def mf_store(obj, entries):
        mf = []
        order = sorted(entries.items(), key=lambda kv: (kv[0][1] != "Apply", kv[1]["time"] or "",
                                                        kv[0][0]))
        for (manager, op, sub), e in order:
            if not e["set"]:
                continue
            d = {"manager": manager, "operation": op, "apiVersion": e["apiVersion"],
                 "time": e["time"], "fieldsType": "FieldsV1", "fieldsV1": fields_v1(e["set"])}
            if sub:
                d["subresource"] = sub
            mf.append(d)
        if mf:
            obj["metadata"]["managedFields"] = mf
        else:
            obj["metadata"].pop("managedFields", None)

    def mf_update(self, r, old, new, manager, subresource=None):
        """An Update operation: the manager takes the fields whose value it changed."""
        entries = self.mf_parse(old) if old is not None else {}
        if subresource == "status":
            paths = field_paths({"status": new.get("status")}) if new.get("status") else set()
        elif subresource == "scale":
            paths = {("f:spec", "f:replicas")}
        else:
            paths = object_paths(new, with_status=not r.status_sub)
        if old is None:
            changed = paths
        else:
            changed = {p for p in paths if value_at(old, p) != value_at(new, p)}
        me = (manager, "Update", subresource)
        for k, e in entries.items():
            if k != me:
                e["set"] = e["set"] - changed
        if changed:
            e = entries.setdefault(me, {"apiVersion": r.gv, "time": None, "set": set()})
            e["set"] = e["set"] | changed
            e["time"] = now_ts()
            e["apiVersion"] = r.gv
        self.mf_prune(new, entries)
        self.mf_store(new, entries)

    @staticmethod
    def mf_prune(obj, entries, keep=None):
        for k, e in entries.items():
            if k == keep:
                continue
            e["set"] = {p for p in e["set"] if value_at(obj, p) is not _MISSING}

    @staticmethod
    def mf_sets(obj):
        return {k: e["set"] for k, e in Cluster.mf_parse(obj).items() if e["set"]}

    # -- internal writes by the simulated controllers (no validation, like the real ones
    #    that write what they computed) ---------------------------------------------------

    def internal_create(self, r, obj, manager=CONTROLLER):
        md = meta(obj)
        self.kinds.normalize(r, obj)
        self.kinds.default(r, obj, None)
        self.kinds.admit_mutate(r, obj, None, internal=True)
        md["uid"] = new_uuid()
        md["creationTimestamp"] = now_ts()
        if r.gen:
            md["generation"] = 1
        self.mf_update(r, None, obj, manager)
        self._store_create(r, obj)
        return obj

    def internal_update(self, r, new, manager=CONTROLLER, subresource=None):
        md = new["metadata"]
        old = self.find(r, md.get("namespace"), md["name"])
        if old is None or same_but_version(new, old):
            return False
        if r.gen and spec_part(new) != spec_part(old):
            md["generation"] = old["metadata"].get("generation", 1) + 1
        self.mf_update(r, old, new, manager, subresource)
        if md.get("deletionTimestamp") and not md.get("finalizers"):
            self._store_delete(r, new)
        else:
            self._store_update(r, new, old)
        return True

    # -- API operations (called with the lock held) -------------------------------------

    def check_namespace(self, r, ns, name):
        if not r.namespaced:
            return
        nso = self.find(rt("", "namespaces"), "", ns)
        if nso is None:
            raise err_ns_not_found(ns)
        if dig(nso, "status", "phase") == "Terminating":
            e = err_forbidden_admission(r, name, "unable to create new content in namespace %s "
                                                 "because it is being terminated" % ns)
            e.body["details"]["causes"] = [{"reason": "NamespaceTerminating",
                                            "message": "namespace %s is being terminated" % ns,
                                            "field": "metadata.namespace"}]
            raise e

    def decode(self, r, body, ns, url_name=None, apply=False, ctx=None):
        if not isinstance(body, dict):
            raise err_bad_request("the object provided is unrecognized (must be of type %s)"
                                  % r.kind)
        obj = jcopy(body)
        self.prune_unknown(r, obj, ctx)
        kind, av = obj.get("kind"), obj.get("apiVersion")
        if (apply or r.crd) and not kind:
            raise err_bad_request("Object 'Kind' is missing in '%s'"
                                  % json.dumps(body, separators=(",", ":")))
        if av is not None and av != r.gv:
            raise err_bad_request("the API version in the data (%s) does not match the expected "
                                  "API version (%s)" % (av, r.gv))
        if kind is not None and kind != r.kind:
            raise err_bad_request("the kind in the data (%s) does not match the expected kind "
                                  "(%s)" % (kind, r.kind))
        obj["apiVersion"], obj["kind"] = r.gv, r.kind
        md = obj.setdefault("metadata", {})
        if not isinstance(md, dict):
            raise err_decode(r, "json: cannot unmarshal into Go struct field %s.metadata" % r.kind)
        if r.namespaced:
            if md.get("namespace") not in (None, "", ns):
                raise err_bad_request("the namespace of the provided object does not match the "
                                      "namespace sent on the request")
            md["namespace"] = ns
        else:
            md.pop("namespace", None)
        if url_name is not None and md.get("name") != url_name:
            if apply or md.get("name"):
                raise err_bad_request("the name of the object (%s) does not match the name on "
                                      "the URL (%s)" % (md.get("name", ""), url_name))
            md["name"] = url_name
        return obj

    def prune_unknown(self, r, obj, ctx):
        known = ("apiVersion", "kind", "metadata") + TOP_FIELDS.get(r.kind, ())
        unknown = [k for k in obj if k not in known]
        md = obj.get("metadata")
        if isinstance(md, dict):
            unknown += ["metadata." + k for k in md if k not in META_FIELDS]
        if not unknown:
            return
        mode = (ctx or {}).get("field_validation") or "Warn"
        if mode == "Strict":
            raise err_bad_request("strict decoding error: " + ", ".join(
                'unknown field "%s"' % f for f in unknown))
        for f in unknown:
            if f.startswith("metadata."):
                md.pop(f[len("metadata."):], None)
            else:
                obj.pop(f, None)
            if mode == "Warn" and ctx is not None:
                ctx.setdefault("warnings", []).append('unknown field "%s"' % f)

    def op_create(self, r, ns, body, ctx, applied_paths=None):
        obj = self.decode(r, body, ns, ctx=ctx)
        md = obj["metadata"]
        if not md.get("name"):
            if md.get("generateName"):
                md["name"] = md["generateName"] + rand_suffix()
            else:
                raise err_invalid(r, "", [FieldErr("metadata.name", "required",
                                                   detail="name or generateName is required")])
        name = md["name"]
        if md.get("resourceVersion"):
            raise err_bad_request("resourceVersion should not be set on objects to be created")
        self.check_namespace(r, ns, name)
        if self.find(r, ns, name) is not None:
            raise err_already_exists(r, name)
        for f in ("uid", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds",
                  "generation", "managedFields", "selfLink"):
            md.pop(f, None)
        if r.status_sub and r.kind != "Node":
            # (a kubelet registers its node with its status: nodes keep it on create)
            obj.pop("status", None)
        self.kinds.normalize(r, obj)
        self.kinds.default(r, obj, None)
        self.kinds.admit_mutate(r, obj, None)
        errs = self.kinds.validate(r, obj, None)
        if errs:
            raise err_invalid(r, name, errs)
        self.kinds.admit_validate(r, obj, None)
        md["uid"] = new_uuid()
        md["creationTimestamp"] = now_ts()
        if r.gen:
            md["generation"] = 1
        if applied_paths is not None:
            self.mf_store(obj, {(ctx["manager"], "Apply", None): {
                "apiVersion": r.gv, "time": now_ts(), "set": applied_paths}})
        else:
            self.mf_update(r, None, obj, ctx["manager"])
        if ctx.get("dry_run"):
            return 201, obj
        self._store_create(r, obj)
        self.reconcile()
        return 201, obj

    def get_or_404(self, r, ns, name):
        o = self.find(r, ns, name)
        if o is None:
            raise err_not_found(r, name)
        return o

    def op_update(self, r, ns, name, body, ctx, subresource=None):
        old = self.get_or_404(r, ns, name)
        if subresource == "scale":
            return self.op_scale_write(r, old, body, ctx)
        obj = self.decode(r, body, ns, url_name=name, ctx=ctx)
        self.check_preconditions(r, old, obj)
        return self.commit(r, old, self.merge_into_old(r, old, obj, subresource), ctx,
                           subresource=subresource)

    def check_preconditions(self, r, old, obj):
        md = obj.get("metadata") or {}
        orv = old["metadata"]["resourceVersion"]
        if md.get("resourceVersion") not in (None, "") and md["resourceVersion"] != orv:
            raise err_conflict(r, old["metadata"]["name"],
                               "the object has been modified; please apply your changes to the "
                               "latest version and try again")
        if md.get("uid") not in (None, "") and md["uid"] != old["metadata"]["uid"]:
            raise err_conflict(r, old["metadata"]["name"],
                               "Precondition failed: UID in precondition: %s, UID in object meta: "
                               "%s" % (md["uid"], old["metadata"]["uid"]))

    def merge_into_old(self, r, old, obj, subresource):
        """The new object of an update: status and system metadata come from the old one."""
        if subresource == "status":
            new = jcopy(old)
            if "status" in obj:
                new["status"] = obj["status"]
            else:
                new.pop("status", None)
            return new
        if subresource == "resize":
            new = jcopy(old)
            new["spec"] = obj.get("spec")
            return new
        new = obj
        md, omd = new.setdefault("metadata", {}), old["metadata"]
        for f in ("uid", "creationTimestamp", "generation", "deletionTimestamp",
                  "deletionGracePeriodSeconds", "managedFields", "resourceVersion"):
            if f in omd:
                md[f] = jcopy(omd[f])
            else:
                md.pop(f, None)
        if r.status_sub:
            if "status" in old:
                new["status"] = jcopy(old["status"])
            else:
                new.pop("status", None)
        return new

    def commit(self, r, old, new, ctx, op="Update", subresource=None, entries=None):
        name = old["metadata"]["name"]
        self.kinds.normalize(r, new)
        if subresource is None:
            self.kinds.default(r, new, old)
            self.kinds.admit_mutate(r, new, old)
            errs = self.kinds.validate(r, new, old)
            if errs:
                raise err_invalid(r, name, errs)
            self.kinds.admit_validate(r, new, old)
        elif subresource == "resize":
            self.validate_resize(r, name, new, old)
        md = new["metadata"]
        if r.gen and spec_part(new) != spec_part(old):
            md["generation"] = old["metadata"].get("generation", 1) + 1
        if entries is not None:
            keep = (ctx["manager"], op, subresource)
            self.mf_prune(new, entries, keep=keep)
            self.mf_store(new, entries)
        else:
            self.mf_update(r, old, new, ctx["manager"],
                           subresource if subresource != "resize" else None)
        if same_but_version(new, old) and \
                self.mf_sets(new) == self.mf_sets(old):
            return 200, jcopy(old)
        if ctx.get("dry_run"):
            return 200, new
        if md.get("deletionTimestamp") and not md.get("finalizers"):
            gone = self._store_delete(r, new)
            self.reconcile()
            return 200, gone
        self._store_update(r, new, old)
        self.reconcile()
        return 200, new

    def validate_resize(self, r, name, new, old):
        """pods/resize (KEP-1287, ValidatePodResize): only the cpu and memory of containers
        may change; requests default from limits as on create; limits cannot be removed; the
        QoS class stays; 1.33 refuses memory limit decreases without RestartContainer."""
        spec, ospec = new.get("spec") or {}, old.get("spec") or {}
        default_requests(spec)
        a, b = jcopy(spec), jcopy(ospec)
        for s in (a, b):
            for c in s.get("containers") or []:
                res = c.pop("resources", None) or {}
                # other resources than cpu and memory must stay as they are
                c["other"] = {part: {k: v for k, v in (res.get(part) or {}).items()
                                     if k not in ("cpu", "memory")}
                              for part in ("requests", "limits")}
        if a != b:
            raise err_invalid(r, name, [FieldErr("spec", "forbidden",
                                                 detail="only cpu and memory resources are "
                                                        "mutable")])
        errs = validate_pod_spec(spec, "spec")
        if errs:
            raise err_invalid(r, name, errs)
        ocs = {c.get("name"): c for c in ospec.get("containers") or []}
        for i, c in enumerate(spec.get("containers") or []):
            oc = ocs.get(c.get("name")) or {}
            lim = dig(c, "resources", "limits") or {}
            olim = dig(oc, "resources", "limits") or {}
            cp = "spec.containers[%d].resources.limits" % i
            for rn in ("cpu", "memory"):
                if rn in olim and rn not in lim:
                    errs.append(FieldErr(cp + "[%s]" % rn, "forbidden",
                                         detail="resource limits cannot be removed"))
            pol = {p.get("resourceName"): p.get("restartPolicy")
                   for p in c.get("resizePolicy") or [] if isinstance(p, dict)}
            if self.minor_int() == 33 and "memory" in lim and "memory" in olim and \
                    qty_value(lim["memory"]) < qty_value(olim["memory"]) and \
                    pol.get("memory") != "RestartContainer":
                errs.append(FieldErr(cp + "[memory]", "forbidden",
                                     detail="memory limits cannot be decreased unless "
                                            "resizePolicy is RestartContainer"))
        if errs:
            raise err_invalid(r, name, errs)
        oq = dig(old, "status", "qosClass") or qos_class(ospec)
        if qos_class(spec) != oq:
            raise err_invalid(r, name, [FieldErr("spec", "invalid", oq,
                                                 "Pod QOS Class may not change as a result "
                                                 "of resizing")])

    def op_patch(self, r, ns, name, body, ctype, ctx, subresource=None):
        old = self.get_or_404(r, ns, name)
        try:
            patch = json.loads(body.decode("utf-8") or "null")
        except (ValueError, UnicodeDecodeError) as e:
            raise err_bad_request("error decoding patch: %s" % e)
        base = self.scale_of(r, old) if subresource == "scale" else jcopy(old)
        base.get("metadata", {}).pop("managedFields", None)
        try:
            if ctype == "application/merge-patch+json":
                if not isinstance(patch, dict):
                    raise ValueError("the patch must be a JSON object")
                patched = merge_patch(base, patch)
            elif ctype == "application/strategic-merge-patch+json":
                if r.crd:
                    raise err_unsupported_media(r)
                if not isinstance(patch, dict):
                    raise ValueError("the patch must be a JSON object")
                patched = strategic_merge(base, patch)
            else:
                patched = json_patch(base, patch)
        except ValueError as e:
            raise ApiError(422, status_body(422, "Invalid", str(e), {}))
        if not isinstance(patched, dict):
            raise err_bad_request("the patch produced a %s, not an object"
                                  % type(patched).__name__)
        if subresource == "scale":
            return self.op_scale_write(r, old, patched, ctx)
        pmd = patched.setdefault("metadata", {})
        if not isinstance(pmd, dict) or pmd.get("name") != name:
            raise err_bad_request("the name of the object (%s) does not match the name on the "
                                  "URL (%s)" % (pmd.get("name") if isinstance(pmd, dict) else "",
                                                name))
        self.check_preconditions(r, old, patched)
        patched["metadata"]["managedFields"] = jcopy(old["metadata"].get("managedFields"))
        obj = self.decode(r, patched, ns, url_name=name, ctx=ctx)
        return self.commit(r, old, self.merge_into_old(r, old, obj, subresource), ctx,
                           subresource=subresource)

    def op_apply(self, r, ns, name, body, ctx, force, subresource=None):
        text = body.decode("utf-8", "replace")
        try:
            applied = json.loads(text)
        except ValueError:
            if yaml is None:
                raise err_bad_request("error decoding YAML: the fake API server reads apply "
                                      "bodies as JSON (PyYAML is not installed)")
            try:
                applied = yaml.safe_load(text)
            except yaml.YAMLError as e:
                raise err_bad_request("error decoding YAML: %s" % e)
        if not isinstance(applied, dict):
            raise err_bad_request("error decoding YAML: the apply configuration is not an "
                                  "object")
        if subresource == "scale":
            old = self.get_or_404(r, ns, name)
            return self.op_scale_write(r, old, applied, ctx)
        if isinstance(applied.get("metadata"), dict) and \
                applied["metadata"].get("managedFields") is not None:
            raise err_bad_request("metadata.managedFields must be nil")
        obj = self.decode(r, applied, ns, url_name=name, apply=True, ctx=ctx)
        obj = strip_nulls(obj)
        if subresource == "status":
            applied_paths = field_paths({"status": obj["status"]}) if obj.get("status") else set()
        else:
            if r.status_sub:
                obj.pop("status", None)
            applied_paths = object_paths(obj)
        old = self.find(r, ns, name)
        if old is None:
            if subresource:
                raise err_not_found(r, name)
            if obj["metadata"].get("resourceVersion"):
                raise err_not_found(r, name)
            return self.op_create(r, ns, obj, ctx, applied_paths=applied_paths)
        self.check_preconditions(r, old, obj)
        entries = self.mf_parse(old)
        me = (ctx["manager"], "Apply", subresource)
        prev = entries.get(me, {}).get("set", set())
        conflicts = []
        for p in sorted(applied_paths):
            if p and p[-1] == ".":
                continue
            av = value_at(obj, p)
            for k, e in entries.items():
                if k != me and p in e["set"] and value_at(old, p) != av:
                    conflicts.append((k, p))
        if conflicts and not force:
            raise self.conflict_error(r, name, conflicts)
        for k, p in conflicts:
            entries[k]["set"].discard(p)
        live = jcopy(old)
        live["metadata"].pop("managedFields", None)
        applied_body = {k: v for k, v in obj.items() if k not in ("apiVersion", "kind")}
        md_applied = {k: v for k, v in applied_body.get("metadata", {}).items()
                      if k not in STRIP_META}
        applied_body["metadata"] = md_applied
        merged = ssa_merge(live, applied_body)
        others = set()
        for k, e in entries.items():
            if k != me:
                others |= e["set"]
        owned = others | applied_paths
        prefixes = {q[:i] for q in applied_paths for i in range(1, len(q))}
        for p in sorted(prev - applied_paths, key=len, reverse=True):
            if p not in others and p not in prefixes:
                remove_path(merged, p)
                prune_parents(merged, p, owned)
        if subresource == "status":
            new = jcopy(old)
            new["status"] = merged.get("status")
        else:
            new = merged
            if r.status_sub:
                if "status" in old:
                    new["status"] = jcopy(old["status"])
                else:
                    new.pop("status", None)
        new["apiVersion"], new["kind"] = r.gv, r.kind
        e = entries.get(me)
        if e is None or e["set"] != applied_paths:
            entries[me] = {"apiVersion": r.gv, "time": now_ts(), "set": applied_paths}
        return self.commit(r, old, new, ctx, op="Apply", subresource=subresource,
                           entries=entries)

    def conflict_error(self, r, name, conflicts):
        def who(k):
            manager, op, _sub = k
            return '"%s"' % manager if op == "Apply" else '"%s" using %s' % (manager, r.gv)
        causes = [{"reason": "FieldManagerConflict", "message": "conflict with %s" % who(k),
                   "field": path_str(p)} for k, p in conflicts]
        if len(conflicts) == 1:
            k, p = conflicts[0]
            detail = "conflict with %s: %s" % (who(k), path_str(p))
        else:
            lines = []
            by = collections.OrderedDict()
            for k, p in conflicts:
                by.setdefault(who(k), []).append(path_str(p))
            for w, ps in by.items():
                lines.append("conflicts with %s:" % w)
                lines.extend("- %s" % x for x in ps)
            detail = "\n".join(lines)
        msg = "Apply failed with %d conflict%s: %s" % (len(conflicts),
                                                       "" if len(conflicts) == 1 else "s", detail)
        return ApiError(409, status_body(409, "Conflict", msg, {"causes": causes}))

    # -- scale subresource -------------------------------------------------------------

    def scale_of(self, r, sts):
        md = sts["metadata"]
        sel = dig(sts, "spec", "selector", "matchLabels") or {}
        return {"kind": "Scale", "apiVersion": "autoscaling/v1",
                "metadata": {"name": md["name"], "namespace": md["namespace"], "uid": md["uid"],
                             "resourceVersion": md["resourceVersion"],
                             "creationTimestamp": md["creationTimestamp"]},
                "spec": {"replicas": dig(sts, "spec", "replicas", default=0)},
                "status": {"replicas": dig(sts, "status", "replicas", default=0),
                           "selector": ",".join("%s=%s" % kv for kv in sorted(sel.items()))}}

    def op_scale_write(self, r, old, scale, ctx):
        if not isinstance(scale, dict):
            raise err_bad_request("the object provided is unrecognized (must be of type Scale)")
        rv = dig(scale, "metadata", "resourceVersion")
        if rv and rv != old["metadata"]["resourceVersion"]:
            raise err_conflict(r, old["metadata"]["name"],
                               "the object has been modified; please apply your changes to the "
                               "latest version and try again")
        rep = dig(scale, "spec", "replicas")
        if not isinstance(rep, int) or isinstance(rep, bool):
            raise err_bad_request("Scale in version \"v1\" cannot be handled as a Scale: json: "
                                  "cannot unmarshal into Go struct field ScaleSpec.spec.replicas "
                                  "of type int32")
        if rep < 0:
            raise ApiError(422, status_body(
                422, "Invalid", 'Scale.autoscaling "%s" is invalid: spec.replicas: Invalid value: '
                '%d: must be greater than or equal to 0' % (old["metadata"]["name"], rep),
                {"name": old["metadata"]["name"], "group": "autoscaling", "kind": "Scale",
                 "causes": [{"reason": "FieldValueInvalid", "message": "Invalid value: %d: must "
                             "be greater than or equal to 0" % rep, "field": "spec.replicas"}]}))
        new = jcopy(old)
        new["spec"]["replicas"] = rep
        code, obj = self.commit(r, old, new, ctx, subresource="scale")
        return code, self.scale_of(r, obj if "spec" in obj else self.find(
            r, old["metadata"]["namespace"], old["metadata"]["name"]) or old)

    # -- delete ------------------------------------------------------------------------

    def op_delete(self, r, ns, name, opts, ctx):
        old = self.get_or_404(r, ns, name)
        pre = opts.get("preconditions") or {}
        md = old["metadata"]
        if pre.get("uid") not in (None, "") and pre["uid"] != md["uid"]:
            raise err_conflict(r, name, "Precondition failed: UID in precondition: %s, UID in "
                                        "object meta: %s" % (pre["uid"], md["uid"]))
        if pre.get("resourceVersion") not in (None, "") and \
                pre["resourceVersion"] != md["resourceVersion"]:
            raise err_conflict(r, name, "Precondition failed: ResourceVersion in precondition: "
                                        "%s, ResourceVersion in object meta: %s"
                               % (pre["resourceVersion"], md["resourceVersion"]))
        pp = opts.get("propagationPolicy")
        if pp not in (None, "Orphan", "Background", "Foreground"):
            raise err_invalid_options("DeleteOptions", [FieldErr(
                "propagationPolicy", "notsupported", pp,
                supported=["Foreground", "Background", "Orphan", "nil"])])
        if ctx.get("dry_run"):
            return 200, jcopy(old)
        code, out = self.delete_obj(r, old, pp, opts.get("gracePeriodSeconds"))
        self.reconcile()
        return code, out

    def delete_obj(self, r, old, propagation=None, grace=None):
        md = old["metadata"]
        if md.get("deletionTimestamp"):
            # the API server's BeforeDelete: a pod whose grace period is 0 (or unset)
            # goes at once; otherwise a shorter grace period shortens the deletion (the
            # deadline moves by the difference) and 0 removes it at once, whatever the
            # kubelet is still doing
            cur = md.get("deletionGracePeriodSeconds")
            if r.kind == "Pod" and not md.get("finalizers") and \
                    (not cur or (grace is not None and grace == 0)):
                return 200, self._pod_gone_mounted(r, old)
            if r.kind == "Pod" and grace is not None and cur and grace < cur:
                new = jcopy(old)
                due = calendar.timegm(time.strptime(md["deletionTimestamp"],
                                                    "%Y-%m-%dT%H:%M:%SZ")) - cur + grace
                new["metadata"]["deletionGracePeriodSeconds"] = grace
                new["metadata"]["deletionTimestamp"] = time.strftime(
                    "%Y-%m-%dT%H:%M:%SZ", time.gmtime(due))
                self._store_update(r, new, old)
                return 200, jcopy(new)
            return 200, jcopy(old)
        if propagation is None and r.kind == "Namespace":
            propagation = "Background"
        if propagation == "Orphan":
            for kk, o in list(self.objs.items()):
                refs = dig(o, "metadata", "ownerReferences") or []
                if any(x.get("uid") == md["uid"] for x in refs):
                    new = jcopy(o)
                    new["metadata"]["ownerReferences"] = [x for x in refs
                                                          if x.get("uid") != md["uid"]]
                    if not new["metadata"]["ownerReferences"]:
                        del new["metadata"]["ownerReferences"]
                    self.internal_update(RT[(kk[0], kk[1])], new,
                                         manager="generic-garbage-collector")
        fins = list(md.get("finalizers") or [])
        if propagation == "Foreground" and self.dependents(md["uid"]):
            fins.append("foregroundDeletion")
        if r.kind == "Namespace":
            new = jcopy(old)
            new["metadata"]["deletionTimestamp"] = now_ts()
            new["metadata"]["deletionGracePeriodSeconds"] = 0
            new["status"] = {"phase": "Terminating"}
            self._store_update(r, new, old)
            return 200, jcopy(new)
        delay = float(self.settings["pod_termination_delay"])
        if r.kind == "Pod" and dig(old, "spec", "nodeName") and grace != 0 and delay > 0 and \
                dig(old, "status", "phase") not in ("Succeeded", "Failed"):
            g = grace if grace is not None else dig(old, "spec", "terminationGracePeriodSeconds",
                                                    default=30)
            new = jcopy(old)
            new["metadata"]["deletionTimestamp"] = time.strftime(
                "%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + g))
            new["metadata"]["deletionGracePeriodSeconds"] = g
            if fins != list(md.get("finalizers") or []):
                new["metadata"]["finalizers"] = fins
            self._store_update(r, new, old)
            key = (md.get("namespace", ""), md["name"])
            self.pod_delete_due[key] = time.time() + delay
            self.schedule(delay)
            return 200, jcopy(new)
        if fins:
            new = jcopy(old)
            new["metadata"]["deletionTimestamp"] = now_ts()
            new["metadata"]["deletionGracePeriodSeconds"] = 0
            new["metadata"]["finalizers"] = fins
            self._store_update(r, new, old)
            return 200, jcopy(new)
        if r.kind == "Pod":
            return 200, self._pod_gone_mounted(r, old)
        gone = self._store_delete(r, old)
        if r.return_deleted:
            return 200, gone
        return 200, {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success",
                     "details": r.details(md["name"], uid=md["uid"])}

    def _pod_gone_mounted(self, r, pod):
        """A pod removed at once (force delete, or one that had ended): with
        pod_termination_delay, its kubelet unmounts the volumes only after the object
        is gone. Returns the deleted pod, as the API server answers."""
        delay = float(self.settings["pod_termination_delay"])
        md = pod["metadata"]
        if delay > 0 and dig(pod, "spec", "nodeName"):
            for v in dig(pod, "spec", "volumes") or []:
                claim = dig(v, "persistentVolumeClaim", "claimName")
                if claim:
                    self.mounted_until[(md.get("namespace", ""), claim)] = time.time() + delay
        return self._store_delete(r, pod)

    def dependents(self, uid):
        out = []
        for kk, o in self.objs.items():
            if any(x.get("uid") == uid for x in dig(o, "metadata", "ownerReferences") or []):
                out.append((RT[(kk[0], kk[1])], o))
        return out

    # -- list --------------------------------------------------------------------------

    def op_list(self, r, ns, q):
        try:
            lsel = parse_label_selector(q.get("labelSelector"))
            fsel = parse_field_selector(r, q.get("fieldSelector"))
        except SelectorError as e:
            raise err_bad_request(str(e))
        items = [o for o in self.all(r, ns) if labels_match(lsel, dig(o, "metadata", "labels"))
                 and fields_match(fsel, o)]
        md = {"resourceVersion": str(self.rv)}
        limit = q.get("limit")
        start = 0
        if q.get("continue"):
            try:
                tok = json.loads(urllib.parse.unquote(q["continue"]))
                start = int(tok["start"])
            except (ValueError, KeyError, TypeError):
                raise err_bad_request("continue key is not valid: incorrect encoded start "
                                      "resourceVersion (version meta.k8s.io/v1)")
        if limit and str(limit).isdigit() and int(limit) > 0:
            n = int(limit)
            rest = items[start + n:]
            items = items[start:start + n]
            if rest:
                md["continue"] = json.dumps({"start": start + n, "rv": self.rv},
                                            separators=(",", ":"))
                md["remainingItemCount"] = len(rest)
        else:
            items = items[start:]
        out = []
        for o in items:
            if not r.crd:
                o = {k: v for k, v in o.items() if k not in ("apiVersion", "kind")}
            out.append(o)
        return {"kind": r.kind + "List", "apiVersion": r.gv, "metadata": md, "items": out}

    # ------------------------------------------------------------------------------------
    # Simulated controllers: run after every write, to a fixed point, deterministically.
    # ------------------------------------------------------------------------------------

    #
    # Each controller looks only at the objects written since it last ran (and at those
    # that depend on them: see its "only" set); anything else (a deletion, an object being
    # deleted, a namespace or class, a setting, an override, a timer) makes every
    # controller look at everything, as it always did. The result is the same as a full
    # pass after every write (FAKE_APISERVER_VERIFY checks that), without the cost that
    # grows with the number of objects.

    def reconcile(self, full=False):
        if full:
            self.full_epoch += 1
        rv = self.rv
        for _ in range(100):
            changed = False
            for name in CONTROLLERS:
                if getattr(self, name)(self._dirty_for(name)):
                    changed = True
            if not changed:
                break
        if all(self.ctrl_pos.get(n) == len(self.changes) for n in CONTROLLERS):
            self.changes = []
            self.ctrl_pos = {n: 0 for n in CONTROLLERS}
        if VERIFY_FILE:
            for e in self.events:
                if e[0] in self.event_copies and (e[3], e[4]) != self.event_copies[e[0]]:
                    with open(VERIFY_FILE, "a") as f:
                        f.write("the objects of event %d (%s %s %s) were changed in place\n"
                                % (e[0], e[2], e[1].kind, e[3]["metadata"].get("name")))
                    self.event_copies[e[0]] = (jcopy(e[3]), jcopy(e[4]))
        if VERIFY_FILE and not full:
            before = self.rv
            self.reconcile(full=True)
            if self.rv != before:
                with open(VERIFY_FILE, "a") as f:
                    f.write("incremental reconcile missed %d write(s) after rv %d: %s\n" % (
                        self.rv - before, rv, [(e[0], e[1].kind, e[2], e[3]["metadata"]["name"])
                                               for e in self.events if e[0] > before]))

    def _dirty_for(self, name):
        """The keys written since the controller last ran, or None: look at everything."""
        pos = self.ctrl_pos.get(name, 0)
        self.ctrl_pos[name] = len(self.changes)
        if self.ctrl_epoch.get(name) != self.full_epoch:
            self.ctrl_epoch[name] = self.full_epoch
            return None
        return self.changes[pos:]

    def _sorted(self, keys):
        """The stored objects of these keys, in the order of all()."""
        out = [self.objs[k] for k in set(keys) if k in self.objs]
        out.sort(key=lambda o: (o["metadata"].get("namespace", ""), o["metadata"]["name"]))
        return out

    def _claims_of_pods(self, keys):
        """PVC keys the pods among keys use."""
        out = set()
        for k in keys:
            if k[:2] == ("", "pods") and k in self.objs:
                for ns, kind, name in self._pod_ref_keys(k, self.objs[k]):
                    if kind == "pvc":
                        out.add(("", "persistentvolumeclaims", ns, name))
        return out

    @staticmethod
    def _of_type(keys, group, plural):
        return {k for k in keys if k[0] == group and k[1] == plural}

    def c_namespaces(self, dirty=None):
        changed = False
        nsr = rt("", "namespaces")
        cmr = rt("", "configmaps")
        for ns in self.all(nsr):
            name = ns["metadata"]["name"]
            if ns["metadata"].get("deletionTimestamp"):
                content = [(kk, o) for kk, o in self.objs.items() if kk[2] == name]
                for kk, o in content:
                    r = RT[(kk[0], kk[1])]
                    if not o["metadata"].get("deletionTimestamp"):
                        self.delete_obj(r, o, "Background", 0)
                        changed = True
                if not content:
                    self._store_delete(nsr, ns)
                    changed = True
            elif self.find(cmr, name, "kube-root-ca.crt") is None:
                self.internal_create(cmr, {
                    "apiVersion": "v1", "kind": "ConfigMap",
                    "metadata": {"name": "kube-root-ca.crt", "namespace": name,
                                 "annotations": {"kubernetes.io/description": ROOT_CA_DESC}},
                    "data": {"ca.crt": FAKE_CA_PEM}}, manager="kube-controller-manager")
                changed = True
        return changed

    def c_gc(self, dirty=None):
        changed = False
        uids = self.by_uid
        if dirty is not None:
            # only an object written with owners that are all gone is garbage now
            for k in set(dirty):
                refs = dig(self.objs.get(k), "metadata", "ownerReferences") or []
                if refs and all(x.get("uid") not in uids for x in refs):
                    break
            else:
                return False
        for kk, o in list(self.objs.items()):
            r = RT[(kk[0], kk[1])]
            md = o["metadata"]
            refs = md.get("ownerReferences") or []
            if refs and not md.get("deletionTimestamp") and \
                    all(x.get("uid") not in uids for x in refs):
                self.delete_obj(r, o, "Background")
                changed = True
            if md.get("deletionTimestamp") and "foregroundDeletion" in (md.get("finalizers") or []):
                deps = self.dependents(md["uid"])
                for dr, d in deps:
                    if not d["metadata"].get("deletionTimestamp"):
                        self.delete_obj(dr, d, "Background")
                        changed = True
                if not self.dependents(md["uid"]):
                    new = jcopy(o)
                    new["metadata"]["finalizers"] = [f for f in md["finalizers"]
                                                     if f != "foregroundDeletion"]
                    if not new["metadata"]["finalizers"]:
                        del new["metadata"]["finalizers"]
                    changed |= self.internal_update(r, new, "generic-garbage-collector")
        return changed

    _revision_memo = {}

    def sts_revision(self, sts):
        tmpl = json.dumps(dig(sts, "spec", "template"), sort_keys=True, separators=(",", ":"))
        h = self._revision_memo.get(tmpl)
        if h is None:
            if len(self._revision_memo) > 100000:
                self._revision_memo.clear()
            h = self._revision_memo[tmpl] = safe_encode(str(fnv32a(tmpl.encode())))
        return sts["metadata"]["name"] + "-" + h

    def c_statefulsets(self, dirty=None):
        changed = False
        podr, pvcr = rt("", "pods"), rt("", "persistentvolumeclaims")
        stsr = rt("apps", "statefulsets")
        if dirty is None:
            stss = self.all(stsr)
        else:
            only = self._of_type(dirty, "apps", "statefulsets")
            for k in self._of_type(dirty, "", "pods"):
                p = self.objs.get(k)
                for x in dig(p, "metadata", "ownerReferences") or []:
                    if x.get("controller") and x.get("uid") in self.by_uid:
                        only.add(self.by_uid[x["uid"]])
                m = re.fullmatch(r"(.+)-[0-9]+", k[3])
                if m:
                    only.add(("apps", "statefulsets", k[2], m.group(1)))
            stss = self._sorted(self._of_type(only, "apps", "statefulsets"))
        for sts in stss:
            md, spec = sts["metadata"], sts["spec"]
            if md.get("deletionTimestamp"):
                continue
            ns, name, uid = md["namespace"], md["name"], md["uid"]
            replicas = spec.get("replicas", 1)
            upd_rev = self.sts_revision(sts)
            st = sts.get("status") or {}
            cur_rev = st.get("currentRevision") or upd_rev
            pods = {}
            for p in self._sorted(k for k in self.owned.get(uid, ())
                                  if k[:2] == ("", "pods") and k[2] == ns):
                refs = p["metadata"].get("ownerReferences") or []
                if any(x.get("uid") == uid and x.get("controller") for x in refs):
                    m = re.fullmatch(re.escape(name) + r"-([0-9]+)", p["metadata"]["name"])
                    if m:
                        pods[int(m.group(1))] = p
            ordered = spec.get("podManagementPolicy", "OrderedReady") == "OrderedReady"
            # scale down, highest ordinal first
            for i in sorted(pods, reverse=True):
                if i >= replicas:
                    if not pods[i]["metadata"].get("deletionTimestamp"):
                        self.delete_obj(podr, pods[i])
                        changed = True
                    if ordered:
                        break
            # create missing pods, in order
            for i in range(replicas):
                if i in pods:
                    if ordered and not self.pod_ready(pods[i]):
                        break
                    continue
                for vct in spec.get("volumeClaimTemplates") or []:
                    cn = "%s-%s-%d" % (vct["metadata"]["name"], name, i)
                    if self.find(pvcr, ns, cn) is None:
                        pvc = {"apiVersion": "v1", "kind": "PersistentVolumeClaim",
                               "metadata": {"name": cn, "namespace": ns,
                                            "labels": dict(dig(spec, "selector", "matchLabels")
                                                           or {})},
                               "spec": jcopy(vct.get("spec") or {})}
                        self.internal_create(pvcr, pvc)
                self.internal_create(podr, self.sts_pod(sts, i, upd_rev))
                changed = True
                if ordered:
                    break
            # RollingUpdate: replace outdated pods, highest ordinal first
            us = spec.get("updateStrategy") or {}
            if us.get("type", "RollingUpdate") == "RollingUpdate":
                part = dig(us, "rollingUpdate", "partition", default=0)
                for i in sorted(pods, reverse=True):
                    p = pods[i]
                    if i < replicas and i >= part and not p["metadata"].get("deletionTimestamp") \
                            and p["metadata"]["labels"].get("controller-revision-hash") != upd_rev:
                        self.delete_obj(podr, p)
                        changed = True
                        break
            # status
            live = [p for p in (self.find(podr, ns, "%s-%d" % (name, i)) for i in
                                range(max(list(pods) + [replicas - 1]) + 1)) if p is not None]
            live = [p for p in live if not p["metadata"].get("deletionTimestamp")]
            rev_of = [p["metadata"].get("labels", {}).get("controller-revision-hash") for p in live]
            ready = sum(1 for p in live if self.pod_ready(p))
            updated = sum(1 for x in rev_of if x == upd_rev)
            if us.get("type", "RollingUpdate") == "RollingUpdate":
                if updated == len(live) and ready == len(live):
                    cur_rev = upd_rev
            elif self.minor_int() >= 36 and updated == len(live) and live:
                cur_rev = upd_rev
            current = sum(1 for x in rev_of if x == cur_rev)
            nst = {"observedGeneration": md.get("generation", 1), "replicas": len(live),
                   "availableReplicas": ready, "collisionCount": 0,
                   "currentRevision": cur_rev, "updateRevision": upd_rev}
            if ready:
                nst["readyReplicas"] = ready
            if current:
                nst["currentReplicas"] = current
            if updated:
                nst["updatedReplicas"] = updated
            if nst != st:
                changed |= self.internal_update(stsr, with_status(sts, nst), subresource="status")
        return changed

    def sts_pod(self, sts, i, rev):
        md, spec = sts["metadata"], sts["spec"]
        tmpl = jcopy(spec.get("template") or {})
        name = "%s-%d" % (md["name"], i)
        labels = dict(dig(tmpl, "metadata", "labels") or {})
        labels.update({"apps.kubernetes.io/pod-index": str(i), "controller-revision-hash": rev,
                       "statefulset.kubernetes.io/pod-name": name})
        pmd = {"name": name, "generateName": md["name"] + "-", "namespace": md["namespace"],
               "labels": labels,
               "ownerReferences": [{"apiVersion": "apps/v1", "kind": "StatefulSet",
                                    "name": md["name"], "uid": md["uid"], "controller": True,
                                    "blockOwnerDeletion": True}]}
        if dig(tmpl, "metadata", "annotations"):
            pmd["annotations"] = dict(tmpl["metadata"]["annotations"])
        pspec = tmpl.get("spec") or {}
        pspec["hostname"] = name
        if spec.get("serviceName"):
            pspec["subdomain"] = spec["serviceName"]
        vols = pspec.setdefault("volumes", [])
        for vct in spec.get("volumeClaimTemplates") or []:
            vn = vct["metadata"]["name"]
            if not any(v.get("name") == vn for v in vols):
                vols.append({"name": vn, "persistentVolumeClaim": {
                    "claimName": "%s-%s-%d" % (vn, md["name"], i)}})
        if not vols:
            del pspec["volumes"]
        return {"apiVersion": "v1", "kind": "Pod", "metadata": pmd, "spec": pspec}

    @staticmethod
    def pod_ready(p):
        return any(c.get("type") == "Ready" and c.get("status") == "True"
                   for c in dig(p, "status", "conditions") or [])

    def pods_using_claim(self, ns, claim, running_only=False):
        out = []
        for p in self._sorted(self.pod_refs.get((ns, "pvc", claim), ())):
            if dig(p, "status", "phase") in ("Succeeded", "Failed"):
                continue
            if running_only and dig(p, "status", "phase") != "Running":
                continue
            for v in dig(p, "spec", "volumes") or []:
                if dig(v, "persistentVolumeClaim", "claimName") == claim:
                    out.append(p)
                    break
        return out

    def c_pvc_binder(self, dirty=None):
        changed = False
        pvcr = rt("", "persistentvolumeclaims")
        scr = rt("storage.k8s.io", "storageclasses")
        if dirty is None:
            pvcs = self.all(pvcr)
        else:
            # written PVCs, those of written pods (first consumer), clones and restores
            pvcs = self._sorted(self._of_type(dirty, "", "persistentvolumeclaims") |
                                self._claims_of_pods(dirty) | self.ds_pvcs)
        for pvc in pvcs:
            md, spec = pvc["metadata"], pvc.get("spec") or {}
            if dig(pvc, "status", "phase") == "Bound" or md.get("deletionTimestamp"):
                continue
            ns, name = md["namespace"], md["name"]
            scn = spec.get("storageClassName")
            sc = self.find(scr, "", scn) if scn else None
            if sc is None:
                if scn:
                    # the PV controller's word, as on a real cluster (1.31)
                    changed |= self.record_event(
                        pvcr, pvc, "Warning", "ProvisioningFailed",
                        'storageclass.storage.k8s.io "%s" not found' % scn,
                        "persistentvolume-controller")
                continue
            prov = sc.get("provisioner")
            if sc.get("volumeBindingMode") == "WaitForFirstConsumer":
                users = [p for p in self.pods_using_claim(ns, name)
                         if not p["metadata"].get("deletionTimestamp")]
                if not users:
                    # no provisioner annotation until a pod is scheduled (1.31)
                    changed |= self.record_event(
                        pvcr, pvc, "Normal", "WaitForFirstConsumer",
                        "waiting for first consumer to be created before binding",
                        "persistentvolume-controller")
                    continue
                if dig(pvc, "metadata", "annotations", "volume.kubernetes.io/selected-node") \
                        != NODE_NAME:
                    new = jcopy(pvc)
                    new["metadata"].setdefault("annotations", {})[
                        "volume.kubernetes.io/selected-node"] = NODE_NAME
                    changed |= self.internal_update(pvcr, new, manager="kube-scheduler")
                    pvc = self.find(pvcr, ns, name)
            ann = pvc["metadata"].get("annotations") or {}
            if ann.get("volume.kubernetes.io/storage-provisioner") != prov and \
                    prov != "kubernetes.io/no-provisioner":
                new = jcopy(pvc)
                a = new["metadata"].setdefault("annotations", {})
                a["volume.beta.kubernetes.io/storage-provisioner"] = prov
                a["volume.kubernetes.io/storage-provisioner"] = prov
                changed |= self.internal_update(pvcr, new)
                pvc = self.find(pvcr, ns, name)
            delay = float(self.settings["bind_delay"] or 0)
            due = self.bind_due.get(pvc["metadata"]["uid"])
            if due is None and delay > 0:
                due = self.bind_due[pvc["metadata"]["uid"]] = time.time() + delay
                self.schedule(delay)
            if scn in self.settings["unbindable"] or prov == "kubernetes.io/no-provisioner" or \
                    (due is not None and time.time() < due):
                if prov != "kubernetes.io/no-provisioner":
                    changed |= self.record_event(
                        pvcr, pvc, "Normal", "ExternalProvisioning",
                        "Waiting for a volume to be created either by the external provisioner "
                        "'%s' or manually by the system administrator. If volume creation is "
                        "delayed, please verify that the provisioner is running and correctly "
                        "registered." % prov, "persistentvolume-controller")
                continue
            request = dig(spec, "resources", "requests", "storage")
            ds = spec.get("dataSourceRef") or spec.get("dataSource")
            if ds:
                if ds.get("kind") == "VolumeSnapshot" and ds.get("apiGroup") == SNAP_GROUP:
                    snap = self.find(rt(SNAP_GROUP, "volumesnapshots"), ns, ds.get("name"))
                    if not snap or not dig(snap, "status", "readyToUse"):
                        continue
                    rs = dig(snap, "status", "restoreSize")
                    if rs and qty_value(request) < qty_value(rs):
                        continue
                elif ds.get("kind") == "PersistentVolumeClaim" and not ds.get("apiGroup"):
                    # external-provisioner clones across StorageClasses of the same
                    # driver (kubernetes-csi/external-provisioner#699); another driver
                    # cannot read the source volume, and the clone stays Pending
                    src = self.find(pvcr, ns, ds.get("name"))
                    src_sc = self.find(scr, "", dig(src, "spec", "storageClassName") or "") \
                        if src else None
                    if not src or dig(src, "status", "phase") != "Bound" or \
                            not src_sc or src_sc.get("provisioner") != prov or \
                            qty_value(request) < qty_value(dig(src, "status", "capacity",
                                                               "storage") or 0):
                        continue
                else:
                    continue
            new = jcopy(pvc)
            new["spec"]["volumeName"] = "pvc-" + md["uid"]
            a = new["metadata"].setdefault("annotations", {})
            a["pv.kubernetes.io/bind-completed"] = "yes"
            a["pv.kubernetes.io/bound-by-controller"] = "yes"
            self.internal_update(pvcr, new)
            new = with_status(self.find(pvcr, ns, name), {
                "phase": "Bound", "accessModes": list(spec.get("accessModes") or []),
                "capacity": {"storage": request}})
            self.internal_update(pvcr, new, subresource="status")
            changed = True
        return changed

    def c_pvc_resize(self, dirty=None):
        changed = False
        pvcr = rt("", "persistentvolumeclaims")
        now = time.time()
        if dirty is None:
            pvcs = self.all(pvcr)
        else:
            pvcs = self._sorted(self._of_type(dirty, "", "persistentvolumeclaims") |
                                self._claims_of_pods(dirty) |
                                {("", "persistentvolumeclaims") + k for k in self.resize_state})
        for pvc in pvcs:
            md = pvc["metadata"]
            if dig(pvc, "status", "phase") != "Bound":
                continue
            key = (md["namespace"], md["name"])
            req = dig(pvc, "spec", "resources", "requests", "storage")
            cap = dig(pvc, "status", "capacity", "storage")
            state = self.resize_state.get(key)
            if cap is None or qty_value(req) <= qty_value(cap):
                if state is not None:
                    del self.resize_state[key]
                continue
            new = jcopy(pvc)
            st = new["status"]
            ts = now_ts()
            # allocatedResources and their statuses: RecoverVolumeExpansionFailure, on by
            # default from 1.32; a 1.31 server drops them (seen on a real one)
            recover = self.minor_int() >= 32
            limit = self.settings["max_volume_size"]
            if state is None or state["target"] != req:
                delay = float(self.settings["resize_delay"])
                state = {"target": req, "stage": 1,
                         "due": now + delay if delay >= 0 else float("inf")}
                self.resize_state[key] = state
                if recover:
                    st["allocatedResources"] = {"storage": req}
                    st["allocatedResourceStatuses"] = {"storage": "ControllerResizeInProgress"}
                st["conditions"] = [{"type": "Resizing", "status": "True", "lastProbeTime": None,
                                     "lastTransitionTime": ts}]
                if delay > 0:
                    self.schedule(delay)
                driver = dig(self.find(rt("storage.k8s.io", "storageclasses"), "",
                                       dig(pvc, "spec", "storageClassName") or ""),
                             "provisioner") or PROVISIONER
                self.record_event(pvcr, pvc, "Warning", "ExternalExpanding",
                                  "waiting for an external controller to expand this PVC",
                                  "volume_expand")
                self.record_event(pvcr, pvc, "Normal", "Resizing",
                                  "External resizer is resizing volume %s"
                                  % dig(pvc, "spec", "volumeName"), "external-resizer " + driver)
                if limit and qty_value(req) > qty_value(limit):
                    # the CSI hostpath driver's answer, as a real 1.31 cluster shows it: an
                    # Event only; the request stays, the resizer retries (from 1.32 the status
                    # also says ControllerResizeInfeasible)
                    state["stage"] = -1
                    self.record_event(
                        pvcr, pvc, "Warning", "VolumeResizeFailed",
                        'resize volume "%s" by resizer "%s" failed: rpc error: code = '
                        'OutOfRange desc = Requested capacity %d exceeds maximum allowed %d'
                        % (dig(pvc, "spec", "volumeName"), driver, int(qty_value(req)),
                           int(qty_value(limit))), "external-resizer " + driver)
                    if recover:
                        st["allocatedResourceStatuses"] = {
                            "storage": "ControllerResizeInfeasible"}
            elif state["stage"] == -1:
                continue
            elif state["stage"] == 1 and now >= state["due"]:
                state["stage"] = 2
                if recover:
                    st["allocatedResourceStatuses"] = {"storage": "NodeResizePending"}
                st["conditions"] = [{"type": "FileSystemResizePending", "status": "True",
                                     "lastProbeTime": None, "lastTransitionTime": ts,
                                     "message": "Waiting for user to (re-)start a pod to finish "
                                                "file system resize of volume on node."}]
            elif state["stage"] == 2 and self.pods_using_claim(key[0], key[1], running_only=True):
                st["capacity"] = {"storage": req}
                st.pop("conditions", None)
                st.pop("allocatedResourceStatuses", None)
                del self.resize_state[key]
            else:
                continue
            changed |= self.internal_update(pvcr, new, manager="csi-resizer",
                                            subresource="status")
        return changed

    def c_snapshots(self, dirty=None):
        changed = False
        vsr = rt(SNAP_GROUP, "volumesnapshots")
        pvcr = rt("", "persistentvolumeclaims")
        if dirty is not None and not any(
                k[:2] in ((SNAP_GROUP, "volumesnapshots"), ("", "persistentvolumeclaims"))
                for k in dirty):
            return False
        for vs in self.all(vsr):
            md = vs["metadata"]
            ns, name = md["namespace"], md["name"]
            if md.get("deletionTimestamp"):
                in_use = any((dig(p, "spec", "dataSourceRef", "name") == name and
                              dig(p, "spec", "dataSourceRef", "kind") == "VolumeSnapshot" and
                              dig(p, "status", "phase") != "Bound")
                             for p in self.all(pvcr, ns))
                if not in_use and md.get("finalizers"):
                    new = jcopy(vs)
                    new["metadata"]["finalizers"] = [
                        f for f in md["finalizers"]
                        if not f.startswith("snapshot.storage.kubernetes.io/")]
                    if not new["metadata"]["finalizers"]:
                        del new["metadata"]["finalizers"]
                    changed |= self.internal_update(vsr, new, "snapshot-controller")
                continue
            st = jcopy(vs.get("status") or {})
            ov = self.snap_overrides.get((ns, name))
            if ov and ov.get("uid") not in (None, md["uid"]):
                ov = None
            if not dig(vs, "spec", "volumeSnapshotClassName"):
                dflt = [c for c in self.all(rt(SNAP_GROUP, "volumesnapshotclasses"))
                        if dig(c, "metadata", "annotations",
                               "snapshot.storage.kubernetes.io/is-default-class") == "true"]
                if dflt:
                    new = jcopy(vs)
                    new["spec"]["volumeSnapshotClassName"] = dflt[-1]["metadata"]["name"]
                    changed |= self.internal_update(vsr, new, "snapshot-controller")
                    continue
                err = "Failed to set default snapshot class with error cannot find default " \
                      "snapshot class"
                if dig(st, "error", "message") != err:
                    st = {"readyToUse": False, "error": {"message": err, "time": now_ts()}}
                    new = jcopy(vs)
                    new["status"] = st
                    changed |= self.internal_update(vsr, new, "snapshot-controller", "status")
                continue
            if st.get("readyToUse") and not (ov and ov.get("error")):
                continue
            claim = dig(vs, "spec", "source", "persistentVolumeClaimName")
            pvc = self.find(pvcr, ns, claim) if claim else None
            if claim and pvc is None:
                err = ('Failed to create snapshot content with error failed to get input '
                       'parameters to create snapshot %s: "failed to retrieve PVC %s from the '
                       'lister: \\"persistentvolumeclaim \\\\\\"%s\\\\\\" not found\\""'
                       % (name, claim, claim))
            elif pvc is not None and dig(pvc, "status", "phase") != "Bound":
                err = ('Failed to create snapshot content with error failed to get input '
                       'parameters to create snapshot %s: "the PVC %s is not yet bound to a PV, '
                       'will not attempt to take a snapshot"' % (name, claim))
            else:
                err = None
            if ov and ov.get("error"):
                err = ov["error"]
            nst = {"boundVolumeSnapshotContentName": "snapcontent-" + md["uid"],
                   "readyToUse": False}
            if err:
                if claim and (pvc is None or dig(pvc, "status", "phase") != "Bound"):
                    nst.pop("boundVolumeSnapshotContentName")
                nst["error"] = {"message": err,
                                "time": dig(st, "error", "time") if dig(st, "error", "message")
                                == err else now_ts()}
            elif self.settings["snapshot_ready"] == "immediate" or (ov and ov.get("ready")):
                nst["readyToUse"] = True
                nst["creationTime"] = st.get("creationTime") or now_ts()
                size = dig(pvc, "status", "capacity", "storage") if pvc else None
                if size:
                    nst["restoreSize"] = size
            if nst != st:
                fins = md.get("finalizers") or []
                if "boundVolumeSnapshotContentName" in nst and \
                        "snapshot.storage.kubernetes.io/volumesnapshot-bound-protection" not in fins:
                    new = jcopy(vs)
                    new["metadata"]["finalizers"] = fins + [
                        "snapshot.storage.kubernetes.io/volumesnapshot-as-source-protection",
                        "snapshot.storage.kubernetes.io/volumesnapshot-bound-protection"]
                    self.internal_update(vsr, new, "snapshot-controller")
                new = jcopy(self.find(vsr, ns, name))
                new["status"] = nst
                changed |= self.internal_update(vsr, new, "snapshot-controller", "status")
        return changed

    # -- pods: scheduler and kubelet -------------------------------------------------------

    def pod_problem(self, pod):
        """Why a pod cannot run, as (phase kind, reason, message) or None."""
        ns = pod["metadata"]["namespace"]
        spec = pod.get("spec") or {}
        preempt = "preemption: 0/1 nodes are available: 1 Preemption is not helpful for " \
                  "scheduling."
        for v in spec.get("volumes") or []:
            claim = dig(v, "persistentVolumeClaim", "claimName")
            if not claim:
                continue
            pvc = self.find(rt("", "persistentvolumeclaims"), ns, claim)
            if pvc is None:
                return ("unschedulable", "Unschedulable", '0/1 nodes are available: '
                        'persistentvolumeclaim "%s" not found. %s' % (claim, preempt))
            if pvc["metadata"].get("deletionTimestamp"):
                return ("unschedulable", "Unschedulable", '0/1 nodes are available: '
                        'persistentvolumeclaim "%s" is being deleted. %s' % (claim, preempt))
            if dig(pvc, "status", "phase") != "Bound":
                return ("unschedulable", "Unschedulable", "0/1 nodes are available: pod has "
                        "unbound immediate PersistentVolumeClaims. %s" % preempt)
        if self.settings["unschedulable"] and not spec.get("nodeName"):
            return ("unschedulable", "Unschedulable", "0/1 nodes are available: 1 Insufficient "
                    "memory. preemption: 0/1 nodes are available: 1 No preemption victims found "
                    "for incoming pod.")
        for v in spec.get("volumes") or []:
            cm = v.get("configMap")
            if isinstance(cm, dict) and not cm.get("optional") and \
                    self.find(rt("", "configmaps"), ns, cm.get("name")) is None:
                return ("waiting", "ContainerCreating", None,
                        {"mount": 'MountVolume.SetUp failed for volume "%s" : configmap "%s" '
                                  'not found' % (v.get("name"), cm.get("name"))})
            sec = v.get("secret")
            if isinstance(sec, dict) and not sec.get("optional") and \
                    self.find(rt("", "secrets"), ns, sec.get("secretName")) is None:
                return ("waiting", "ContainerCreating", None,
                        {"mount": 'MountVolume.SetUp failed for volume "%s" : secret "%s" '
                                  'not found' % (v.get("name"), sec.get("secretName"))})
        for key in ("initContainers", "containers"):
            for c in spec.get(key) or []:
                for rx in self.settings["image_pull_fail"]:
                    if re.search(rx, c.get("image", "")):
                        # the kubelet pulls an init container's image in its turn
                        return ("waiting", "ImagePullBackOff",
                                'Back-off pulling image "%s"' % c.get("image"),
                                {"container": c.get("name")} if key == "initContainers"
                                else None)
        return None

    def pod_status(self, pod, state, t, alloc=None, resize=None):
        """Build a pod status for a state (phase, reason, message, extra). alloc: the
        resources the kubelet runs each container with (name -> resources); resize: a
        resize it does not carry out, (reason, message). extra (may be None): "container",
        the init container or container the reason is about (default: the containers),
        with "exit_code" and "log" (what it printed: its termination message under
        terminationMessagePolicy FallbackToLogsOnError); "sandbox": the pod's sandbox
        cannot be created, with this error."""
        phase, reason, message = state[0], state[1], state[2]
        extra = (state[3] if len(state) > 3 else None) or {}
        spec = pod.get("spec") or {}
        md = pod["metadata"]
        ip = self.pod_state.get(md["uid"], {}).get("ip") or self.alloc_pod_ip()
        qos = qos_class(spec)
        cond = lambda typ, ok, r=None, m=None: dict(
            [("type", typ), ("status", "True" if ok else "False"), ("lastProbeTime", None),
             ("lastTransitionTime", t)] + ([("reason", r)] if r else []) +
            ([("message", m)] if m else []))
        names = [c.get("name") for c in spec.get("containers") or []]
        inits = [c.get("name") for c in spec.get("initContainers") or []]
        if reason == "Unschedulable":
            return ip, {"phase": "Pending", "conditions": [
                cond("PodScheduled", False, "Unschedulable", message)], "qosClass": qos}
        # what the kubelet got to: the sandbox (and volumes), then each init container
        # in turn, then the containers (as a real 1.31 kubelet reports it)
        no_sandbox = reason == "ContainerCreating" and not extra.get("container")
        target = extra.get("container")
        if target in inits:
            pending_inits = inits[inits.index(target):]
        elif no_sandbox:
            pending_inits = list(inits)
        else:
            pending_inits = []
        waiting = no_sandbox or not pending_inits and (
            reason in ("ImagePullBackOff", "ErrImagePull", "ContainerCreating",
                       "CrashLoopBackOff", "CreateContainerConfigError", "RunContainerError")
            or reason == "Error" and target is not None)
        ready = phase == "Running" and not waiting and reason is None and not pending_inits
        st = {"phase": phase}
        if not waiting and not pending_inits and reason:
            st["reason"] = reason
            if message:
                st["message"] = message
        unready = None if ready else "containers with unready status: [%s]" % " ".join(names)
        conds = [cond("PodReadyToStartContainers", not no_sandbox),
                 cond("Initialized", not pending_inits,
                      "ContainersNotInitialized" if pending_inits else None,
                      "containers with incomplete status: [%s]" % " ".join(pending_inits)
                      if pending_inits else None),
                 cond("Ready", ready, None if ready else "ContainersNotReady", unready),
                 cond("ContainersReady", ready, None if ready else "ContainersNotReady",
                      unready),
                 cond("PodScheduled", True)]
        if resize and self.minor_int() >= 33:
            msg = resize[1]
            if not msg and resize[0] == "Infeasible":
                msg = "Node didn't have enough capacity: memory"
            conds.append(cond("PodResizePending", True, resize[0], msg))
        st["conditions"] = conds
        st["hostIP"] = NODE_IP
        st["hostIPs"] = [{"ip": NODE_IP}]
        if not no_sandbox:
            st["podIP"] = ip
            st["podIPs"] = [{"ip": ip}]
        st["startTime"] = t

        def terminated(c, cid, code, why):
            term = {"exitCode": code, "reason": why, "startedAt": t, "finishedAt": t,
                    "containerID": cid}
            if code and extra.get("log") and \
                    c.get("terminationMessagePolicy") == "FallbackToLogsOnError":
                term["message"] = extra["log"]
            return term

        def failing(c, s, cid, image_id, img):
            """the container the reason is about: waiting, or ended with an error"""
            code = int(extra.get("exit_code", 1))
            if reason == "Error":
                s["state"] = {"terminated": terminated(c, cid, code, "Error")}
                s.update(imageID=image_id, containerID=cid)
                return
            w = {"reason": reason}
            if reason == "CrashLoopBackOff":
                w["message"] = message or "back-off 10s restarting failed container=%s " \
                    "pod=%s_%s(%s)" % (c.get("name"), md["name"], md["namespace"], md["uid"])
                s["lastState"] = {"terminated": terminated(c, cid, code, "Error")}
                s.update(restartCount=3 if not target else 1, imageID=image_id,
                         containerID=cid)
            elif message:
                w["message"] = message
            elif reason == "ImagePullBackOff":
                w["message"] = 'Back-off pulling image "%s"' % img
            elif reason == "ErrImagePull":
                w["message"] = ('rpc error: code = NotFound desc = failed to pull and unpack '
                                'image "%s": not found' % img)
            s["state"] = {"waiting": w}

        def cstatus(c, init=False):
            img = c.get("image", "")
            cid = "containerd://" + uuid.uuid5(uuid.NAMESPACE_OID, md["uid"] + c.get("name", "")).hex * 2
            image_id = "docker.io/library/%s@sha256:%s" % (img.rsplit("/", 1)[-1].split(":")[0],
                                                          uuid.uuid5(uuid.NAMESPACE_URL, img).hex * 2)
            s = {"name": c.get("name"), "state": {}, "lastState": {}, "ready": False,
                 "restartCount": 0, "image": img, "imageID": "", "started": False}
            if init and c.get("name") in pending_inits:
                if c.get("name") == target:
                    failing(c, s, cid, image_id, img)
                else:
                    s["state"] = {"waiting": {"reason": "PodInitializing"}}
            elif init:
                s["state"] = {"terminated": {"exitCode": 0, "reason": "Completed",
                                             "startedAt": t, "finishedAt": t,
                                             "containerID": cid}}
                s.update(ready=True, imageID=image_id, containerID=cid)
            elif pending_inits:
                s["state"] = {"waiting": {"reason": "PodInitializing"}}
            elif waiting and (not target or c.get("name") == target):
                if reason == "ContainerCreating":
                    s["state"] = {"waiting": {"reason": "ContainerCreating"}}
                else:
                    failing(c, s, cid, image_id, img)
            elif phase == "Running":
                s["state"] = {"running": {"startedAt": t}}
                s.update(ready=ready, started=True, imageID=image_id, containerID=cid)
            elif phase in ("Succeeded", "Failed"):
                code = 0 if phase == "Succeeded" else 1
                s["state"] = {"terminated": {"exitCode": code,
                                             "reason": "Completed" if code == 0 else "Error",
                                             "startedAt": t, "finishedAt": t, "containerID": cid}}
                s.update(imageID=image_id, containerID=cid)
            else:
                s["state"] = {"waiting": {"reason": "ContainerCreating"}}
            res = (alloc or {}).get(c.get("name"), c.get("resources"))
            if phase == "Running" and res and self.minor_int() >= 33:
                s["resources"] = jcopy(res)
                if not init and res.get("requests"):
                    s["allocatedResources"] = jcopy(res["requests"])
            return s

        if spec.get("initContainers"):
            st["initContainerStatuses"] = [cstatus(c, True) for c in spec["initContainers"]]
        st["containerStatuses"] = [cstatus(c) for c in spec.get("containers") or []]
        st["qosClass"] = qos
        return ip, st

    def c_pods(self, dirty=None):
        changed = False
        podr = rt("", "pods")
        if dirty is None:
            pods = self.all(podr)
        else:
            only = self._of_type(dirty, "", "pods")
            for k in dirty:
                kind = {"persistentvolumeclaims": "pvc", "configmaps": "cm",
                        "secrets": "secret"}.get(k[1]) if k[0] == "" else None
                if kind:
                    only |= self.pod_refs.get((k[2], kind, k[3]), set())
            pods = self._sorted(only)
        for pod in pods:
            md = pod["metadata"]
            if md.get("deletionTimestamp"):
                continue
            key = (md["namespace"], md["name"])
            ov = self.pod_overrides.get(key)
            if ov and ov.get("uid") not in (None, md["uid"]):
                ov = None
            prob = None if ov else self.pod_problem(pod)
            if ov:
                extra = {k: ov[k] for k in ("container", "exit_code", "log", "sandbox")
                         if k in ov} or None
                inits = [c.get("name") for c in dig(pod, "spec", "initContainers") or []]
                early = "sandbox" in ov or ov.get("container") in inits
                state = (ov.get("phase", "Pending" if early else "Running"),
                         "ContainerCreating" if "sandbox" in ov else ov.get("reason"),
                         ov.get("message"), extra)
                if ov.get("reason") == "Unschedulable" and not ov.get("message"):
                    state = (state[0], state[1], "0/1 nodes are available: 1 Insufficient "
                             "memory. preemption: 0/1 nodes are available: 1 No preemption "
                             "victims found for incoming pod.", None)
            elif prob is None:
                state = ("Running", None, None, None)
                # an unschedulable pod is tried again only after a while: until then its
                # condition still says why it was not scheduled (scheduler_backoff)
                delay = float(self.settings["scheduler_backoff"] or 0)
                if delay > 0 and not dig(pod, "spec", "nodeName") and \
                        dig(pod, "status", "conditions") and \
                        any(c.get("type") == "PodScheduled" and c.get("status") == "False"
                            for c in dig(pod, "status", "conditions")):
                    if md["uid"] not in self.sched_due:
                        self.sched_due[md["uid"]] = time.time() + delay
                        self.schedule(delay)
                    if time.time() < self.sched_due[md["uid"]]:
                        continue
            else:
                state = ("Pending", prob[1], prob[2], prob[3] if len(prob) > 3 else None)
            images = tuple(c.get("image") for c in dig(pod, "spec", "containers") or [])
            res = tuple(json.dumps(c.get("resources"), sort_keys=True)
                        for c in dig(pod, "spec", "containers") or [])
            # the kubelet's side of an in-place resize: accepted at once (the status
            # resources follow the spec), unless a test makes it Infeasible or Deferred
            rov = self.resize_overrides.get(key)
            if rov and rov.get("uid") not in (None, md["uid"]):
                rov = None
            ps = self.pod_state.get(md["uid"])
            want = {c.get("name"): jcopy(c.get("resources"))
                    for c in dig(pod, "spec", "containers") or []}
            alloc = (ps or {}).get("alloc")
            resize = None
            if alloc is None or not rov:
                alloc = want
            elif alloc != want:
                resize = (rov["resize"], rov.get("message"))
            sig = (state, images, res, json.dumps(resize))
            if ps and ps["sig"] == sig:
                continue
            t = now_ts()
            ip, st = self.pod_status(pod, state, t, alloc, resize)
            self.pod_state[md["uid"]] = {"sig": sig, "ip": ip, "alloc": alloc}
            extra = state[3] or {}
            if extra.get("sandbox"):
                # the kubelet's Event: the pod's status does not say why (1.31)
                self.record_event(podr, pod, "Warning", "FailedCreatePodSandBox",
                                  "Failed to create pod sandbox: " + extra["sandbox"],
                                  "kubelet", NODE_NAME, NODE_NAME)
            if extra.get("mount"):
                self.record_event(podr, pod, "Warning", "FailedMount", extra["mount"],
                                  "kubelet", NODE_NAME, NODE_NAME)
            if state[1] != "Unschedulable" and not dig(pod, "spec", "nodeName"):
                new = jcopy(pod)
                new["spec"]["nodeName"] = NODE_NAME
                self.internal_update(podr, new, manager="kube-scheduler")
                pod = self.find(podr, md["namespace"], md["name"])
            changed |= self.internal_update(podr, with_status(pod, st), manager="kubelet",
                                            subresource="status")
        return changed

    def c_pvc_protection(self, dirty=None):
        changed = False
        pvcr = rt("", "persistentvolumeclaims")
        if dirty is None:
            pvcs = self.all(pvcr)
        else:
            pvcs = self._sorted(self._of_type(dirty, "", "persistentvolumeclaims") |
                                self._claims_of_pods(dirty))
        for pvc in pvcs:
            md = pvc["metadata"]
            if md.get("deletionTimestamp") and "kubernetes.io/pvc-protection" in \
                    (md.get("finalizers") or []):
                if not self.pods_using_claim(md["namespace"], md["name"]):
                    new = jcopy(pvc)
                    new["metadata"]["finalizers"] = [f for f in md["finalizers"]
                                                     if f != "kubernetes.io/pvc-protection"]
                    if not new["metadata"]["finalizers"]:
                        del new["metadata"]["finalizers"]
                    changed |= self.internal_update(pvcr, new, "kube-controller-manager")
        return changed

    def c_pod_termination(self, dirty=None):
        changed = False
        podr = rt("", "pods")
        now = time.time()
        for key, due in list(self.pod_delete_due.items()):
            if now >= due:
                pod = self.find(podr, key[0], key[1])
                del self.pod_delete_due[key]
                if pod is not None and pod["metadata"].get("deletionTimestamp"):
                    if pod["metadata"].get("finalizers"):
                        continue
                    self._store_delete(podr, pod)
                    changed = True
        return changed


# --------------------------------------------------------------------------
# Discovery
# --------------------------------------------------------------------------

def storage_version_hash(r):
    import hashlib
    import base64
    h = hashlib.sha256(("%s/%s/%s" % (r.group, r.version, r.kind)).encode()).digest()
    return base64.b64encode(h[:8]).decode()


def resource_list(cluster, group):
    res = []
    for r in RTYPES:
        if r.group != group or not cluster.served(r):
            continue
        d = {"name": r.plural, "singularName": r.singular, "namespaced": r.namespaced,
             "kind": r.kind, "verbs": r.verbs}
        if r.short:
            d["shortNames"] = r.short
        if r.categories:
            d["categories"] = r.categories
        d["storageVersionHash"] = storage_version_hash(r)
        res.append(d)
        for sub in r.subresources:
            if sub == "resize" and cluster.minor_int() < 33:
                continue
            sd = {"name": r.plural + "/" + sub, "singularName": "", "namespaced": r.namespaced,
                  "kind": r.kind, "verbs": ["get", "patch", "update"]}
            if sub == "scale":
                sd.update(group="autoscaling", version="v1", kind="Scale")
            if sub == "finalize":
                sd["verbs"] = ["update"]
            res.append(sd)
    out = {"kind": "APIResourceList"}
    if group:
        out["apiVersion"] = "v1"
    out["groupVersion"] = group + "/" + GROUP_VERSIONS[group] if group else "v1"
    out["resources"] = res
    return out


def api_group(name):
    gv = {"groupVersion": "%s/%s" % (name, GROUP_VERSIONS[name]), "version": GROUP_VERSIONS[name]}
    return {"name": name, "versions": [gv], "preferredVersion": gv}


# --------------------------------------------------------------------------
# HTTP
# --------------------------------------------------------------------------

class DropConnection(Exception):
    pass


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, addr, cluster, ssl_ctx, quiet):
        self.cluster = cluster
        self.ssl_ctx = ssl_ctx
        self.quiet = quiet
        self.conn_seq = 0
        self.conn_lock = threading.Lock()
        super().__init__(addr, Handler)

    def get_request(self):
        sock, addr = self.socket.accept()
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with self.conn_lock:
            self.conn_seq += 1
            self.cluster.stats["connections"] += 1
        if self.ssl_ctx is not None:
            sock = self.ssl_ctx.wrap_socket(sock, server_side=True, do_handshake_on_connect=False)
        return sock, addr

    def handle_error(self, request, client_address):
        exc = sys.exc_info()[1]
        if isinstance(exc, (ssl.SSLError, ConnectionError, DropConnection, socket.timeout,
                            OSError)):
            return
        if not self.quiet:
            super().handle_error(request, client_address)


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "fake-apiserver"
    sys_version = ""

    def setup(self):
        srv = self.server
        self.cert_user = None
        self.cert_groups = []
        self.drop_response = False
        with srv.conn_lock:
            self.conn_id = srv.conn_seq
        if srv.ssl_ctx is not None:
            self.request.settimeout(10)
            try:
                self.request.do_handshake()
            except (ssl.SSLError, OSError) as e:
                with srv.cluster.lock:
                    srv.cluster.stats["tls_failures"] += 1
                    srv.cluster.tls_errors.append(str(e))
                # Read what the client already sent before closing: closing with unread
                # data makes the kernel send a reset, which can reach the client before
                # the TLS alert (TLS 1.3 clients send their request before they learn
                # that their certificate was refused).
                try:
                    raw = socket.socket(fileno=self.request.detach())
                    raw.settimeout(0.5)
                    try:
                        while raw.recv(65536):
                            pass
                    finally:
                        raw.close()
                except OSError:
                    pass
                raise
            self.request.settimeout(None)
            cert = self.request.getpeercert()
            if cert:
                for rdn in cert.get("subject", ()):
                    for k, v in rdn:
                        if k == "commonName":
                            self.cert_user = v
                        elif k == "organizationName":
                            self.cert_groups.append(v)
        super().setup()

    def log_message(self, fmt, *args):
        pass

    def do_GET(self):
        self.dispatch("GET")

    def do_POST(self):
        self.dispatch("POST")

    def do_PUT(self):
        self.dispatch("PUT")

    def do_PATCH(self):
        self.dispatch("PATCH")

    def do_DELETE(self):
        self.dispatch("DELETE")

    def do_HEAD(self):
        self.dispatch("HEAD")

    def do_OPTIONS(self):
        self.dispatch("OPTIONS")

    # -- plumbing ------------------------------------------------------------------------

    def read_body(self):
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            data = b""
            while True:
                line = self.rfile.readline()
                size = int(line.split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return data
                data += self.rfile.read(size)
                self.rfile.readline()
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n > 0 else b""

    def send_bytes(self, code, data, ctype, headers=None):
        if self.drop_response:
            # the request was carried out; its answer is lost with the connection
            self.drop_response = False
            self.drop()
        self.send_response(code)
        self.send_header("Audit-Id", new_uuid())
        self.send_header("Cache-Control", "no-cache, private")
        self.send_header("Content-Type", ctype)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def send_json(self, code, obj, headers=None):
        data = json.dumps(obj, separators=(",", ":")).encode() + b"\n"
        self.send_bytes(code, data, "application/json", headers)

    def send_error_obj(self, e):
        if e.text is not None:
            self.send_bytes(e.code, e.text.encode(), "text/plain; charset=utf-8", e.headers)
        else:
            self.send_json(e.code, e.body, e.headers)

    def drop(self):
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        raise DropConnection()

    # -- dispatch ------------------------------------------------------------------------

    def dispatch(self, method):
        cluster = self.server.cluster
        self.drop_response = False
        url = urllib.parse.urlsplit(self.path)
        path = url.path
        q = {k: v[-1] for k, v in urllib.parse.parse_qs(url.query, keep_blank_values=True).items()}
        body = self.read_body()
        if path == "/_fake" or path.startswith("/_fake/"):
            return self.control(method, path, q, body)
        ctype = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        entry = {"time": time.time(), "method": method, "path": path, "query": url.query,
                 "params": q, "content_type": ctype or None, "user": None, "status": None,
                 "conn": self.conn_id, "user_agent": self.headers.get("User-Agent"),
                 "watch": False}
        if body and cluster.settings["log_bodies"]:
            try:
                entry["body"] = json.loads(body.decode("utf-8"))
            except (ValueError, UnicodeDecodeError):
                entry["body"] = body.decode("utf-8", "replace")
        with cluster.lock:
            cluster.log_seq += 1
            entry["seq"] = cluster.log_seq
            cluster.log.append(entry)
            cluster.stats["requests"] += 1
            by = cluster.stats.setdefault("by_method", {})
            by[method] = by.get(method, 0) + 1
            cluster.api_conns.add(self.conn_id)
        try:
            self.apply_faults(method, path, entry)
            user = self.authenticate()
            entry["user"] = user
            self.route(method, path, q, body, ctype, user, entry)
        except ApiError as e:
            entry["status"] = e.code
            self.send_error_obj(e)

    def apply_faults(self, method, path, entry):
        cluster = self.server.cluster
        with cluster.lock:
            fault = None
            for f in cluster.faults:
                if f["count"] == 0:
                    continue
                if f.get("path") and not re.search(f["path"], path):
                    continue
                if f.get("query") and not re.search(f["query"],
                                                    urllib.parse.urlsplit(self.path).query):
                    continue
                if f.get("method") and f["method"].upper() != method:
                    continue
                if f.get("watch") is not None and bool(f["watch"]) != \
                        ("/watch/" in path or "watch=" in self.path):
                    continue
                if f.get("probability") is not None:
                    rng = f.setdefault("_rng", random.Random(f.get("seed")))
                    if rng.random() >= float(f["probability"]):
                        continue
                if f["count"] > 0:
                    f["count"] -= 1
                f["hits"] = f.get("hits", 0) + 1
                fault = dict(f)
                break
            release = cluster.hang_release
        if fault is None:
            return
        kind = fault.get("type", "status")
        entry["fault"] = kind
        if kind == "delay":
            time.sleep(float(fault.get("seconds", 1)))
            return
        if kind == "drop":
            entry["status"] = 0
            self.drop()
        if kind == "drop-after":
            self.drop_response = True
            return
        if kind == "hang":
            entry["status"] = 0
            release.wait(float(fault.get("seconds", 600)))
            self.drop()
        code = int(fault.get("code", 500))
        reason = {500: "InternalError", 503: "ServiceUnavailable", 429: "TooManyRequests",
                  504: "Timeout", 502: "BadGateway", 409: "Conflict", 401: "Unauthorized",
                  403: "Forbidden", 404: "NotFound", 410: "Expired"}.get(code, "InternalError")
        msg = fault.get("message") or {
            500: "Internal error occurred: fake: injected failure",
            503: "the server is currently unable to handle the request",
            429: "Too many requests, please try again later.",
            504: "Timeout: request did not complete within requested timeout - context deadline "
                 "exceeded"}.get(code, "fake: injected failure")
        headers = {}
        if code == 429 or fault.get("retry_after"):
            headers["Retry-After"] = str(fault.get("retry_after", 1))
        if fault.get("text") is not None:
            raise ApiError(code, None, headers, text=fault["text"])
        details = {"retryAfterSeconds": int(headers["Retry-After"])} if "Retry-After" in headers \
            else None
        if code == 500:
            details = {"causes": [{"message": "fake: injected failure"}]}
        raise ApiError(code, status_body(code, reason, msg, details), headers)

    def authenticate(self):
        cluster = self.server.cluster
        if self.cert_user:
            return self.cert_user
        auth = self.headers.get("Authorization") or ""
        tokens = cluster.settings["tokens"]
        if auth.startswith("Bearer "):
            tok = auth[7:].strip()
            if tok in tokens:
                return tokens[tok]
            raise ApiError(401, status_body(401, "Unauthorized", "Unauthorized"))
        if tokens or self.server.ssl_ctx is not None and \
                self.server.ssl_ctx.verify_mode != ssl.CERT_NONE:
            raise ApiError(401, status_body(401, "Unauthorized", "Unauthorized"))
        return "system:anonymous"

    def authorize(self, user, verb, r, sub, ns, name):
        resource = r.plural + ("/" + sub if sub else "")
        for rule in self.server.cluster.settings["forbid"]:
            def m(k, v):
                return rule.get(k, "*") in ("*", v)
            if m("user", user) and m("verb", verb) and m("resource", resource) and \
                    m("namespace", ns or ""):
                where = ('in the namespace "%s"' % ns) if ns else "at the cluster scope"
                subject = '%s "%s"' % (r.qualified, name) if name else r.qualified
                msg = '%s is forbidden: User "%s" cannot %s resource "%s" in API group "%s" %s' % (
                    subject, user, verb, resource, r.group, where)
                details = {"name": name} if name else {}
                if r.group:
                    details["group"] = r.group
                details["kind"] = r.plural
                raise ApiError(403, status_body(403, "Forbidden", msg, details))

    def route(self, method, path, q, body, ctype, user, entry):
        cluster = self.server.cluster
        parts = [p for p in path.split("/") if p]
        if path in ("/healthz", "/livez", "/readyz"):
            entry["status"] = 200
            return self.send_bytes(200, b"ok", "text/plain; charset=utf-8")
        if path == "/version":
            entry["status"] = 200
            return self.send_json(200, self.version_info())
        if not parts or parts[0] not in ("api", "apis"):
            raise err_page_not_found()
        if method not in ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"):
            raise err_method_not_allowed()
        with cluster.lock:
            if parts[0] == "api":
                if len(parts) == 1:
                    entry["status"] = 200
                    return self.send_json(200, {"kind": "APIVersions", "versions": ["v1"],
                                                "serverAddressByClientCIDRs": [{
                                                    "clientCIDR": "0.0.0.0/0",
                                                    "serverAddress": "%s:%d" % (
                                                        self.server.server_address[0],
                                                        self.server.server_address[1])}]})
                if parts[1] != "v1":
                    raise err_page_not_found()
                group, rest = "", parts[2:]
                if not rest:
                    entry["status"] = 200
                    return self.send_json(200, resource_list(cluster, ""))
            else:
                groups = [g for g in GROUP_VERSIONS
                          if g != SNAP_GROUP or cluster.settings["snapshot_api"]]
                if len(parts) == 1:
                    entry["status"] = 200
                    return self.send_json(200, {"kind": "APIGroupList", "apiVersion": "v1",
                                                "groups": [api_group(g) for g in groups]})
                group = parts[1]
                if group not in groups:
                    raise err_page_not_found()
                if len(parts) == 2:
                    d = api_group(group)
                    d = dict([("kind", "APIGroup"), ("apiVersion", "v1")] + list(d.items()))
                    entry["status"] = 200
                    return self.send_json(200, d)
                if parts[2] != GROUP_VERSIONS[group]:
                    raise err_page_not_found()
                rest = parts[3:]
                if not rest:
                    entry["status"] = 200
                    return self.send_json(200, resource_list(cluster, group))
        watch_path = False
        if rest[0] == "watch":
            watch_path = True
            rest = rest[1:]
            if not rest:
                raise err_resource_not_found()
        ns = None
        if rest[0] == "namespaces" and len(rest) >= 3 and \
                (group != "" or rest[2] not in ("status", "finalize") or len(rest) > 3):
            ns, rest = rest[1], rest[2:]
        r = RT.get((group, rest[0]))
        if r is None or not cluster.served(r) or len(rest) > 3:
            raise err_resource_not_found()
        if ns is not None and not r.namespaced:
            raise err_resource_not_found()
        name = rest[1] if len(rest) > 1 else None
        sub = rest[2] if len(rest) > 2 else None
        if sub and (sub not in r.subresources or sub == "finalize" or
                    (sub == "resize" and cluster.minor_int() < 33)):
            raise err_resource_not_found()
        if r.namespaced and ns is None and name is not None:
            raise err_resource_not_found()
        is_watch = watch_path or (method == "GET" and q.get("watch") in ("1", "true", "True"))
        verb = {"GET": "get" if name else "list", "HEAD": "get" if name else "list",
                "POST": "create", "PUT": "update", "PATCH": "patch",
                "DELETE": "delete" if name else "deletecollection"}[method]
        if is_watch:
            verb = "watch"
        self.authorize(user, verb, r, sub, ns, name)
        manager = q.get("fieldManager") or \
            (self.headers.get("User-Agent") or "unknown").split("/")[0] or "unknown"
        dry = q.get("dryRun")
        if dry not in (None, "", "All"):
            raise err_invalid_options("CreateOptions" if method == "POST" else "UpdateOptions",
                                      [FieldErr("dryRun", "notsupported", [dry],
                                                supported=["All"])])
        fv = q.get("fieldValidation")
        if fv not in (None, "", "Strict", "Warn", "Ignore"):
            raise err_bad_request('fieldValidation must be one of "Ignore", "Warn", or '
                                  '"Strict", not "%s"' % fv)
        ctx = {"user": user, "manager": manager, "dry_run": dry == "All",
               "field_validation": fv or "Warn"}
        if len(manager) > 128:
            raise err_invalid_options("PatchOptions" if method == "PATCH" else "UpdateOptions",
                                      [FieldErr("fieldManager", "toolong",
                                                detail="may not be more than 128 bytes")])
        if is_watch:
            if method != "GET" or sub:
                raise err_method_not_allowed()
            entry["watch"] = True
            entry["status"] = 200
            return self.watch(r, ns, name, q)
        code, obj = self.verb(method, r, ns, name, sub, q, body, ctype, ctx)
        entry["status"] = code
        headers = {}
        if ctx.get("warnings"):
            # one header line per warning in the real server; one joined line here
            headers["Warning"] = ", ".join('299 - "%s"' % w.replace('"', '\\"')
                                           for w in ctx["warnings"])
        self.send_json(code, obj, headers)

    def verb(self, method, r, ns, name, sub, q, body, ctype, ctx):
        cluster = self.server.cluster
        with cluster.lock:
            if method in ("GET", "HEAD"):
                if name is None:
                    return 200, cluster.op_list(r, ns, q)
                obj = cluster.get_or_404(r, ns, name)
                if sub == "scale":
                    return 200, cluster.scale_of(r, obj)
                return 200, obj
            if method == "POST":
                if name is not None:
                    raise err_method_not_allowed()
                if ns is None and r.namespaced:
                    raise err_method_not_allowed()
                return cluster.op_create(r, ns, self.parse_body(r, body, ctype), ctx)
            if method == "PUT":
                if name is None:
                    raise err_method_not_allowed()
                return cluster.op_update(r, ns, name, self.parse_body(r, body, ctype), ctx, sub)
            if method == "PATCH":
                if name is None:
                    raise err_method_not_allowed()
                if q.get("force") is not None and ctype != "application/apply-patch+yaml":
                    raise err_invalid_options("PatchOptions", [FieldErr(
                        "force", "forbidden", detail="may not be specified for non-apply patch")])
                if ctype == "application/apply-patch+yaml":
                    if not q.get("fieldManager"):
                        raise err_invalid_options("PatchOptions", [FieldErr(
                            "fieldManager", "required", detail="is required for apply patch")])
                    force = q.get("force") in ("true", "1", "True")
                    return cluster.op_apply(r, ns, name, body, ctx, force, sub)
                if ctype in ("application/merge-patch+json",
                             "application/strategic-merge-patch+json",
                             "application/json-patch+json"):
                    return cluster.op_patch(r, ns, name, body, ctype, ctx, sub)
                raise err_unsupported_media(r)
            if method == "DELETE":
                if sub:
                    raise err_method_not_allowed()
                opts = {}
                if body:
                    try:
                        opts = json.loads(body.decode("utf-8"))
                    except (ValueError, UnicodeDecodeError):
                        raise err_bad_request("the body of the request could not be decoded "
                                              "as DeleteOptions")
                    if not isinstance(opts, dict):
                        raise err_bad_request("the body of the request could not be decoded "
                                              "as DeleteOptions")
                for k in ("propagationPolicy", "gracePeriodSeconds"):
                    if q.get(k) is not None:
                        opts[k] = q[k] if k != "gracePeriodSeconds" else int(q[k])
                if q.get("orphanDependents") is not None:
                    opts["propagationPolicy"] = "Orphan" if q["orphanDependents"] == "true" \
                        else "Background"
                if name is None:
                    try:
                        lsel = parse_label_selector(q.get("labelSelector"))
                        fsel = parse_field_selector(r, q.get("fieldSelector"))
                    except SelectorError as e:
                        raise err_bad_request(str(e))
                    items = []
                    for o in cluster.all(r, ns):
                        if labels_match(lsel, dig(o, "metadata", "labels")) and \
                                fields_match(fsel, o):
                            if not ctx["dry_run"]:
                                cluster.delete_obj(r, o, opts.get("propagationPolicy"))
                            o = jcopy(o)
                            if not r.crd:
                                o.pop("apiVersion", None)
                                o.pop("kind", None)
                            items.append(o)
                    cluster.reconcile(full=True)
                    return 200, {"kind": r.kind + "List", "apiVersion": r.gv,
                                 "metadata": {"resourceVersion": str(cluster.rv)}, "items": items}
                return cluster.op_delete(r, ns, name, opts, ctx)
        raise err_method_not_allowed()

    def parse_body(self, r, body, ctype):
        if ctype in ("application/yaml", "application/apply-patch+yaml") and yaml is not None:
            try:
                return yaml.safe_load(body.decode("utf-8"))
            except (yaml.YAMLError, UnicodeDecodeError) as e:
                raise err_bad_request("error decoding YAML: %s" % e)
        if ctype and ctype not in ("application/json", "application/yaml", "*/*"):
            raise ApiError(415, status_body(415, "UnsupportedMediaType",
                                            "the body of the request was in an unknown format - "
                                            "accepted media types include: application/json, "
                                            "application/yaml, application/vnd.kubernetes.protobuf",
                                            {}))
        try:
            return json.loads(body.decode("utf-8"))
        except (ValueError, UnicodeDecodeError) as e:
            raise err_bad_request("the object provided is unrecognized (must be of type %s): "
                                  "couldn't get version/kind; json parse error: %s" % (r.kind, e))

    def version_info(self):
        s = self.server.cluster.settings
        minor = str(s["minor"])
        mi = self.server.cluster.minor_int()
        gv = s["git_version"] or "v1.%d.%s" % (mi, DEFAULT_PATCH)
        d = {"major": "1", "minor": minor}
        if mi >= 31:
            d.update(emulationMajor="1", emulationMinor=str(mi), minCompatibilityMajor="1",
                     minCompatibilityMinor=str(mi - 1))
        d.update(gitVersion=gv, gitCommit="0123456789abcdef0123456789abcdef01234567",
                 gitTreeState="clean", buildDate="2025-08-12T00:00:00Z", goVersion="go1.24.5",
                 compiler="gc", platform="linux/amd64")
        return d

    # -- watch ---------------------------------------------------------------------------

    def write_chunk(self, data):
        if data:
            self.wfile.write(b"%x\r\n" % len(data) + data + b"\r\n")
            self.wfile.flush()

    def watch(self, r, ns, name, q):
        cluster = self.server.cluster
        try:
            lsel = parse_label_selector(q.get("labelSelector"))
            fsel = parse_field_selector(r, q.get("fieldSelector"))
        except SelectorError as e:
            raise err_bad_request(str(e))
        if name is not None:
            fsel.append(("metadata.name", "=", name))
        try:
            timeout = float(q.get("timeoutSeconds") or cluster.settings["watch_timeout"])
        except ValueError:
            raise err_bad_request("invalid timeoutSeconds")
        bookmarks = q.get("allowWatchBookmarks") in ("true", "1")
        initial_end = q.get("sendInitialEvents") == "true"
        rv = q.get("resourceVersion")
        if rv not in (None, "", "0") and not rv.isdigit():
            raise err_bad_request('invalid resource version: strconv.ParseUint: parsing "%s": '
                                  'invalid syntax' % rv)

        def matches(o):
            if o is None:
                return False
            if ns is not None and o["metadata"].get("namespace") != ns:
                return False
            return labels_match(lsel, dig(o, "metadata", "labels")) and fields_match(fsel, o)

        def ev(t, o):
            return json.dumps({"type": t, "object": o}, separators=(",", ":")).encode() + b"\n"

        w = {"killed": False}
        with cluster.lock:
            epoch = cluster.epoch
            out = []
            if rv in (None, "", "0") or initial_end:
                for o in cluster.all(r, ns):
                    if matches(o):
                        out.append(ev("ADDED", o))
                pos = cluster.rv
                if initial_end:
                    out.append(ev("BOOKMARK", {"kind": r.kind, "apiVersion": r.gv, "metadata": {
                        "resourceVersion": str(pos), "creationTimestamp": None,
                        "annotations": {"k8s.io/initial-events-end": "true"}}}))
            else:
                pos = int(rv)
                if pos < cluster.compacted:
                    out.append(ev("ERROR", status_body(
                        410, "Expired", "too old resource version: %d (%d)"
                        % (pos, cluster.compacted + 1))))
                    pos = None
            cluster.live_watches.append(w)
        self.send_response(200)
        self.send_header("Audit-Id", new_uuid())
        self.send_header("Cache-Control", "no-cache, private")
        self.send_header("Content-Type", "application/json")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        chunk = int(cluster.settings["watch_chunk"] or 0)

        def send(events):
            data = b"".join(events)
            if not data:
                return
            if chunk > 0:
                for i in range(0, len(data), chunk):
                    self.write_chunk(data[i:i + chunk])
            else:
                for e in events:
                    self.write_chunk(e)

        try:
            send(out)
            if pos is None:
                self.write_chunk(b"")
                self.wfile.write(b"0\r\n\r\n")
                return
            deadline = time.time() + timeout
            interval = float(cluster.settings["bookmark_interval"])
            next_bm = time.time() + interval
            while True:
                out = []
                with cluster.lock:
                    while True:
                        now = time.time()
                        if w["killed"] or cluster.epoch != epoch:
                            w["killed"] = True
                            break
                        if now >= deadline or cluster.rv > pos or (bookmarks and now >= next_bm):
                            break
                        wait = deadline - now
                        if bookmarks:
                            wait = min(wait, next_bm - now)
                        cluster.cond.wait(min(wait, 1.0))
                    if w["killed"]:
                        pass
                    elif cluster.rv > pos:
                        if cluster.events and cluster.events[0][0] > pos + 1 and \
                                cluster.compacted > pos:
                            out.append(ev("ERROR", status_body(
                                410, "Expired", "too old resource version: %d (%d)"
                                % (pos, cluster.compacted + 1))))
                            pos = None
                        else:
                            # the events are in resourceVersion order: take the new ones
                            # from the end rather than walking the whole window
                            new = []
                            for e in reversed(cluster.events):
                                if e[0] <= pos:
                                    break
                                new.append(e)
                            for erv, er, et, eo, eold in reversed(new):
                                if erv <= pos or er is not r:
                                    continue
                                nm, om = matches(eo), matches(eold)
                                if et == "MODIFIED":
                                    if nm and om:
                                        out.append(ev("MODIFIED", eo))
                                    elif nm:
                                        out.append(ev("ADDED", eo))
                                    elif om:
                                        out.append(ev("DELETED", eo))
                                elif nm:
                                    out.append(ev(et, eo))
                            pos = cluster.rv
                    if bookmarks and time.time() >= next_bm and pos is not None and \
                            not w["killed"]:
                        out.append(ev("BOOKMARK", {"kind": r.kind, "apiVersion": r.gv,
                                                   "metadata": {"resourceVersion": str(pos),
                                                                "creationTimestamp": None}}))
                        next_bm = time.time() + interval
                if w["killed"]:
                    self.drop()
                send(out)
                if pos is None or time.time() >= deadline:
                    self.wfile.write(b"0\r\n\r\n")
                    self.wfile.flush()
                    return
        finally:
            with cluster.lock:
                if w in cluster.live_watches:
                    cluster.live_watches.remove(w)

    # -- test controls -------------------------------------------------------------------

    def control(self, method, path, q, body):
        cluster = self.server.cluster
        try:
            args = json.loads(body.decode("utf-8")) if body else {}
        except ValueError:
            return self.send_json(400, {"error": "body is not JSON"})
        what = path[len("/_fake/"):].strip("/")
        with cluster.lock:
            if method != "GET":
                cluster.full_epoch += 1  # settings and overrides: controllers look at all
            if what == "health":
                return self.send_json(200, {"ok": True, "port": self.server.server_address[1]})
            if what == "reset":
                cluster.reset()
                cluster.log = []
                cluster.faults = []
                cluster.api_conns = set()
                cluster.stats = {"connections": 0, "tls_failures": 0, "requests": 0}
                cluster.tls_errors = []
                return self.send_json(200, {"ok": True})
            if what == "log":
                if method == "DELETE":
                    cluster.log = []
                    return self.send_json(200, {"ok": True})
                since = int(q.get("since") or 0)
                return self.send_json(200, {"requests": [e for e in cluster.log
                                                         if e["seq"] > since]})
            if what == "log/clear":
                cluster.log = []
                return self.send_json(200, {"ok": True})
            if what == "stats":
                s = dict(cluster.stats)
                s["api_connections"] = len(cluster.api_conns)
                s["active_watches"] = len(cluster.live_watches)
                s["resource_version"] = cluster.rv
                s["tls_errors"] = list(cluster.tls_errors)
                s["deleted_in_use"] = list(cluster.deleted_in_use)
                s["writes"] = sum(1 for e in cluster.log
                                  if e["method"] in ("POST", "PUT", "PATCH", "DELETE"))
                return self.send_json(200, s)
            if what == "config":
                if method == "GET":
                    return self.send_json(200, cluster.settings)
                for k, v in args.items():
                    if k not in cluster.settings:
                        return self.send_json(400, {"error": "unknown setting %s" % k})
                    cluster.settings[k] = v
                cluster.cond.notify_all()
                cluster.reconcile(full=True)
                return self.send_json(200, cluster.settings)
            if what == "snapshot-api":
                cluster.settings["snapshot_api"] = bool(args.get("enabled", True))
                return self.send_json(200, {"ok": True})
            if what == "version":
                if "minor" in args:
                    cluster.settings["minor"] = str(args["minor"])
                if "gitVersion" in args:
                    cluster.settings["git_version"] = args["gitVersion"]
                return self.send_json(200, self.version_info())
            if what == "pod":
                key = (args.get("namespace", "default"), args.get("name"))
                pod = cluster.find(rt("", "pods"), key[0], key[1])
                if args.get("clear"):
                    cluster.pod_overrides.pop(key, None)
                    cluster.resize_overrides.pop(key, None)
                elif "resize" in args:
                    if args["resize"] not in (None, "Infeasible", "Deferred"):
                        return self.send_json(400, {"error": "resize: Infeasible, Deferred "
                                                             "or null"})
                    if args["resize"] is None:
                        cluster.resize_overrides.pop(key, None)
                    else:
                        ov = {"resize": args["resize"], "message": args.get("message")}
                        if not args.get("sticky") and pod is not None:
                            ov["uid"] = pod["metadata"]["uid"]
                        cluster.resize_overrides[key] = ov
                else:
                    ov = {k: args[k] for k in ("phase", "reason", "message", "container",
                                               "exit_code", "log", "sandbox") if k in args}
                    if not args.get("sticky") and pod is not None:
                        ov["uid"] = pod["metadata"]["uid"]
                    cluster.pod_overrides[key] = ov
                cluster.reconcile(full=True)
                return self.send_json(200, {"ok": True, "found": pod is not None})
            if what == "volumesnapshot":
                key = (args.get("namespace", "default"), args.get("name"))
                vs = cluster.find(rt(SNAP_GROUP, "volumesnapshots"), key[0], key[1])
                ov = {}
                if args.get("ready"):
                    ov["ready"] = True
                if args.get("error"):
                    ov["error"] = args["error"]
                if vs is not None and not args.get("sticky"):
                    ov["uid"] = vs["metadata"]["uid"]
                cluster.snap_overrides[key] = ov
                if vs is not None and ov.get("ready") and dig(vs, "status", "error"):
                    new = jcopy(vs)
                    new["status"].pop("error", None)
                    cluster.internal_update(rt(SNAP_GROUP, "volumesnapshots"), new,
                                            "snapshot-controller", "status")
                cluster.reconcile(full=True)
                return self.send_json(200, {"ok": True, "found": vs is not None})
            if what == "pvc":
                key = (args.get("namespace", "default"), args.get("name"))
                st = cluster.resize_state.get(key)
                if args.get("finish_resize") and st:
                    st["due"] = 0
                    cluster.reconcile(full=True)
                    if st.get("stage") == 2 and args.get("offline"):
                        pvc = cluster.find(rt("", "persistentvolumeclaims"), key[0], key[1])
                        new = jcopy(pvc)
                        new["status"]["capacity"] = {"storage": st["target"]}
                        new["status"].pop("conditions", None)
                        new["status"].pop("allocatedResourceStatuses", None)
                        del cluster.resize_state[key]
                        cluster.internal_update(rt("", "persistentvolumeclaims"), new,
                                                "kubelet", "status")
                        cluster.reconcile(full=True)
                return self.send_json(200, {"ok": True, "resizing": st is not None})
            if what == "fault":
                if method == "DELETE":
                    cluster.faults = []
                    cluster.hang_release.set()
                    cluster.hang_release = threading.Event()
                    return self.send_json(200, {"ok": True})
                if method == "GET":
                    return self.send_json(200, {"faults": [
                        {k: v for k, v in f.items() if not k.startswith("_")}
                        for f in cluster.faults]})
                f = dict(args)
                f.setdefault("type", "status")
                f.setdefault("count", 1)
                cluster.faults.append(f)
                return self.send_json(200, {"ok": True})
            if what == "watches/drop":
                n = 0
                for w in cluster.live_watches:
                    w["killed"] = True
                    n += 1
                cluster.cond.notify_all()
                return self.send_json(200, {"ok": True, "dropped": n})
            if what == "compact":
                cluster.compacted = cluster.rv
                cluster.events.clear()
                return self.send_json(200, {"ok": True, "compacted": cluster.compacted})
            if what == "tick":
                cluster.reconcile(full=True)
                return self.send_json(200, {"ok": True})
            if what == "objects":
                return self.send_json(200, {"objects": [
                    o for _, o in sorted(cluster.objs.items())]})
        return self.send_json(404, {"error": "unknown control endpoint %s" % path})


# --------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------

def timer_thread(cluster):
    while True:
        with cluster.lock:
            now = time.time()
            fired = False
            while cluster.deadlines and cluster.deadlines[0] <= now:
                heapq.heappop(cluster.deadlines)
                fired = True
            if fired:
                cluster.reconcile(full=True)
            wait = cluster.deadlines[0] - now if cluster.deadlines else 1.0
            cluster.cond.wait(max(min(wait, 1.0), 0.005))


def watchdog(parent_pid, lifetime, server):
    start = time.time()
    while True:
        time.sleep(0.5)
        if parent_pid and parent_pid > 1:
            try:
                os.kill(parent_pid, 0)
            except ProcessLookupError:
                os._exit(0)
            except PermissionError:
                pass
        if lifetime and time.time() - start > lifetime:
            os._exit(0)


def parse_args(argv):
    p = argparse.ArgumentParser(description="A fake kube-apiserver for Corral's tests.")
    p.add_argument("--bind", default="127.0.0.1", help="address to listen on")
    p.add_argument("--port", type=int, default=0, help="port (0 = pick a free one)")
    p.add_argument("--tls-cert", help="server certificate (PEM); without it: plain HTTP")
    p.add_argument("--tls-key", help="server key (PEM)")
    p.add_argument("--client-ca", help="verify client certificates against this CA; the CN is "
                                       "the user, O the groups")
    p.add_argument("--token", action="append", default=[],
                   help="accepted bearer token, TOKEN or TOKEN:USER (repeatable)")
    p.add_argument("--forbid", action="append", default=[],
                   help="USER:VERB:RESOURCE[:NAMESPACE] answered 403 ('*' matches all)")
    p.add_argument("--minor", default=DEFAULT_MINOR, help="server minor version, e.g. 28 or 30+")
    p.add_argument("--no-snapshot-api", action="store_true",
                   help="do not serve snapshot.storage.k8s.io")
    p.add_argument("--snapshot-ready", choices=["immediate", "manual"], default="immediate")
    p.add_argument("--resize-delay", type=float, default=0.0,
                   help="seconds until a PVC expansion completes (< 0: manual)")
    p.add_argument("--pod-termination-delay", type=float, default=0.0)
    p.add_argument("--bookmark-interval", type=float, default=60.0)
    p.add_argument("--watch-window", type=int, default=10000)
    p.add_argument("--write-port-file", help="write the port here once listening")
    p.add_argument("--parent-pid", type=int, default=0, help="exit when this process is gone")
    p.add_argument("--lifetime", type=float, default=0, help="exit after this many seconds")
    p.add_argument("--state-file",
                   help="load the objects from this file at start (when it exists) and save "
                        "them there on SIGTERM: a restart keeps the store, as etcd does")
    p.add_argument("--quiet", action="store_true")
    p.add_argument("--no-log-bodies", action="store_true",
                   help="keep request bodies out of the request log (benchmarks)")
    return p.parse_args(argv)


def main(argv):
    a = parse_args(argv)
    s = default_settings()
    s["minor"] = a.minor
    s["snapshot_api"] = not a.no_snapshot_api
    s["snapshot_ready"] = a.snapshot_ready
    s["resize_delay"] = a.resize_delay
    s["pod_termination_delay"] = a.pod_termination_delay
    s["bookmark_interval"] = a.bookmark_interval
    s["watch_window"] = a.watch_window
    s["log_bodies"] = not a.no_log_bodies
    for t in a.token:
        tok, _, user = t.partition(":")
        s["tokens"][tok] = user or "fake-user"
    for f in a.forbid:
        parts = f.split(":")
        rule = dict(zip(("user", "verb", "resource", "namespace"), parts))
        s["forbid"].append(rule)
    ssl_ctx = None
    if a.tls_cert:
        ssl_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ssl_ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        ssl_ctx.load_cert_chain(a.tls_cert, a.tls_key)
        ssl_ctx.set_alpn_protocols(["http/1.1"])
        if a.client_ca:
            ssl_ctx.verify_mode = ssl.CERT_OPTIONAL
            ssl_ctx.load_verify_locations(a.client_ca)
    cluster = Cluster(s)
    if a.state_file:
        if os.path.exists(a.state_file):
            cluster.load(a.state_file)

        def save_and_exit(signum, frame):
            cluster.save(a.state_file)
            os._exit(0)
        signal.signal(signal.SIGTERM, save_and_exit)
    srv = Server((a.bind, a.port), cluster, ssl_ctx, a.quiet)
    port = srv.server_address[1]
    threading.Thread(target=timer_thread, args=(cluster,), daemon=True).start()
    if a.parent_pid or a.lifetime:
        threading.Thread(target=watchdog, args=(a.parent_pid, a.lifetime, srv),
                         daemon=True).start()
    if a.write_port_file:
        tmp = a.write_port_file + ".tmp"
        with open(tmp, "w") as f:
            f.write("%d\n" % port)
        os.rename(tmp, a.write_port_file)
    if not a.quiet:
        sys.stderr.write("fake-apiserver: listening on %s://%s:%d\n"
                         % ("https" if ssl_ctx else "http", a.bind, port))
        sys.stderr.flush()
    try:
        srv.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
