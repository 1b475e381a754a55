#!/usr/bin/env python3
"""
miniyaml.py: read the YAML corral-syncd writes, without PyYAML.

    miniyaml.py FILE            print the documents of FILE as one JSON list
    miniyaml.py --check FILE    also parse FILE with PyYAML (when importable) and
                                fail unless both readings are the same

The manifests are libyaml's block style: mappings, "- " sequences, plain,
single- and double-quoted scalars, literal block scalars (|, |-, |+, with an
indentation indicator), empty {} and [], documents started by "---". That is
the whole grammar accepted here; anything else is an error, never a guess.
Plain scalars are typed as YAML 1.1 core does for the values the agent emits:
integers, floats, true/false, null; everything else is a string.
"""

import json
import re
import sys


class YamlError(Exception):
    pass


INT_RE = re.compile(r"^[-+]?(0|[1-9][0-9]*)$")
FLOAT_RE = re.compile(r"^[-+]?([0-9]+\.[0-9]*|\.[0-9]+|[0-9]+)([eE][-+]?[0-9]+)?$")


def plain(s):
    if s in ("null", "Null", "NULL", "~", ""):
        return None
    if s in ("true", "True", "TRUE"):
        return True
    if s in ("false", "False", "FALSE"):
        return False
    if INT_RE.match(s):
        return int(s)
    if FLOAT_RE.match(s):
        return float(s)
    return s


DQ_ESC = {"0": "\0", "a": "\a", "b": "\b", "t": "\t", "\t": "\t", "n": "\n", "v": "\v",
          "f": "\f", "r": "\r", "e": "\x1b", " ": " ", '"': '"', "/": "/", "\\": "\\",
          "N": "\x85", "_": "\xa0", "L": "\u2028", "P": "\u2029"}


def scalar(text, lineno):
    """One flow scalar on one line (the emitter runs with an unlimited width)."""
    t = text.strip()
    if t.startswith('"'):
        out, i = [], 1
        while i < len(t):
            c = t[i]
            if c == '"':
                if t[i + 1:].strip():
                    raise YamlError("line %d: text after a quoted scalar" % lineno)
                return "".join(out)
            if c == "\\":
                e = t[i + 1]
                if e in DQ_ESC:
                    out.append(DQ_ESC[e])
                    i += 2
                    continue
                n = {"x": 2, "u": 4, "U": 8}.get(e)
                if not n:
                    raise YamlError("line %d: unknown escape \\%s" % (lineno, e))
                out.append(chr(int(t[i + 2:i + 2 + n], 16)))
                i += 2 + n
                continue
            out.append(c)
            i += 1
        raise YamlError("line %d: unterminated double-quoted scalar" % lineno)
    if t.startswith("'"):
        if len(t) < 2 or not t.endswith("'"):
            raise YamlError("line %d: unterminated single-quoted scalar" % lineno)
        return t[1:-1].replace("''", "'")
    if t == "{}":
        return {}
    if t == "[]":
        return []
    if t[:1] in ("[", "{", "&", "*", "!", "|", ">", "%", "@", "`"):
        raise YamlError("line %d: unsupported construct: %s" % (lineno, t))
    return plain(t)


def split_key(text, lineno):
    """'key: value' or 'key:' -> (key, rest or None); None when not a mapping entry."""
    if text.startswith('"') or text.startswith("'"):
        q = text[0]
        i = 1
        while i < len(text):
            if text[i] == "\\" and q == '"':
                i += 2
                continue
            if text[i] == q:
                if q == "'" and text[i + 1:i + 2] == "'":
                    i += 2
                    continue
                break
            i += 1
        rest = text[i + 1:]
        if not rest.startswith(":"):
            return None
        key = scalar(text[:i + 1], lineno)
        rest = rest[1:]
    else:
        m = re.match(r"^([^\s#][^:]*?|[^\s#]*?):( |$)", text)
        if not m:
            return None
        key = m.group(1)
        rest = text[m.end(1) + 1:]
    if rest.strip() == "":
        return key, None
    if not rest.startswith(" "):
        return None
    return key, rest[1:]


class Parser:
    def __init__(self, lines):
        # (indent, text, lineno) of every content line; block scalars read raw lines
        self.raw = lines
        self.pos = 0

    def peek(self):
        while self.pos < len(self.raw):
            line = self.raw[self.pos]
            if line.strip() == "" or line.lstrip().startswith("#"):
                self.pos += 1
                continue
            if line.startswith("---") or line.startswith("..."):
                return None
            return len(line) - len(line.lstrip(" ")), line.strip(), self.pos + 1
        return None

    def block_scalar(self, header, parent_indent, lineno):
        m = re.match(r"^\|([1-9])?([-+])?$|^\|([-+])([1-9])$", header)
        if not m:
            raise YamlError("line %d: unsupported block scalar header %s" % (lineno, header))
        ind = m.group(1) or m.group(4)
        chomp = m.group(2) or m.group(3) or ""
        body = []
        indent = parent_indent + int(ind) if ind else None
        while self.pos < len(self.raw):
            line = self.raw[self.pos]
            if line.strip() == "":
                body.append("")
                self.pos += 1
                continue
            lead = len(line) - len(line.lstrip(" "))
            if indent is None:
                if lead <= parent_indent:
                    break
                indent = lead
            if lead < indent:
                break
            body.append(line[indent:])
            self.pos += 1
        # trailing blank lines belong to the scalar only with keep chomping
        trail = 0
        while body and body[-1] == "":
            body.pop()
            trail += 1
        text = "\n".join(body)
        if chomp == "-":
            return text
        if chomp == "+":
            return text + "\n" * (1 + trail) if body else "\n" * trail
        return text + "\n" if body else ""

    def value_after(self, rest, indent, lineno):
        """The value of 'key: rest' (rest None: a nested block follows)."""
        if rest is None:
            nxt = self.peek()
            if nxt is None or nxt[0] < indent or (nxt[0] == indent and not
                                                  nxt[1].startswith("- ") and nxt[1] != "-"):
                return None
            if nxt[0] == indent:  # "- " sequences may sit at the key's indent
                return self.block(indent)
            return self.block(nxt[0])
        if rest.startswith("|"):
            return self.block_scalar(rest, indent, lineno)
        return scalar(rest, lineno)

    def block(self, indent):
        first = self.peek()
        if first is None or first[0] != indent:
            raise YamlError("expected a block at indent %d" % indent)
        if first[1] == "-" or first[1].startswith("- "):
            return self.sequence(indent)
        return self.mapping(indent)

    def sequence(self, indent):
        out = []
        while True:
            cur = self.peek()
            if cur is None or cur[0] < indent:
                return out
            ind, text, lineno = cur
            if ind != indent or not (text == "-" or text.startswith("- ")):
                if ind > indent:
                    raise YamlError("line %d: unexpected indentation" % lineno)
                return out
            item = text[2:] if text != "-" else ""
            if item == "":
                self.pos += 1
                out.append(self.value_after(None, indent + 1, lineno))
                continue
            if item == "-" or item.startswith("- "):
                # a sequence starting on the dash line
                col = indent + 2
                self.raw[self.pos] = " " * col + item
                out.append(self.sequence(col))
                continue
            kv = split_key(item, lineno)
            if kv is not None:
                # a mapping starting on the dash line: re-read it at its column
                col = indent + 2
                self.raw[self.pos] = " " * col + item
                out.append(self.mapping(col))
                continue
            self.pos += 1
            if item.startswith("|"):
                out.append(self.block_scalar(item, indent, lineno))
            else:
                out.append(scalar(item, lineno))

    def mapping(self, indent):
        out = {}
        while True:
            cur = self.peek()
            if cur is None or cur[0] < indent:
                return out
            ind, text, lineno = cur
            if ind > indent:
                raise YamlError("line %d: unexpected indentation" % lineno)
            if text == "-" or text.startswith("- "):
                return out
            kv = split_key(text, lineno)
            if kv is None:
                raise YamlError("line %d: not a mapping entry: %s" % (lineno, text))
            key, rest = kv
            if key in out:
                raise YamlError("line %d: duplicate key %s" % (lineno, key))
            self.pos += 1
            out[key if isinstance(key, str) else str(key)] = self.value_after(rest, indent,
                                                                              lineno)


def load_all(text):
    lines = text.split("\n")
    docs = []
    p = Parser(lines)
    while p.pos < len(lines):
        line = lines[p.pos]
        if line.strip() == "" or line.startswith("#") or line.startswith("..."):
            p.pos += 1
            continue
        if line.startswith("---"):
            rest = line[3:].strip()
            p.pos += 1
            if rest:
                docs.append(scalar(rest, p.pos))
                continue
        nxt = p.peek()
        if nxt is None:
            if line.startswith("---"):
                docs.append(None)
            continue
        docs.append(p.block(nxt[0]))
    return docs


def main(argv):
    check = False
    if argv and argv[0] == "--check":
        check = True
        argv = argv[1:]
    if len(argv) != 1:
        sys.stderr.write("usage: miniyaml.py [--check] FILE\n")
        return 2
    with open(argv[0], encoding="utf-8") as f:
        text = f.read()
    try:
        docs = load_all(text)
    except (YamlError, IndexError, ValueError) as e:
        sys.stderr.write("%s: %s\n" % (argv[0], e))
        return 1
    if check:
        try:
            import yaml
        except ImportError:
            yaml = None
        if yaml is not None:
            other = list(yaml.safe_load_all(text))
            if other != docs:
                sys.stderr.write("%s: PyYAML reads it differently:\n%s\n%s\n"
                                 % (argv[0], json.dumps(other), json.dumps(docs)))
                return 1
    json.dump(docs, sys.stdout)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
