#!/usr/bin/env python3
"""check_includes.py - the include rules of core/, checked from the sources.

    python3 tests/check_includes.py [ROOT]      check ROOT (default: this repo)
    python3 tests/check_includes.py --self-test check the checker

The layout:
  base      the .c/.h files directly in core/ (err, clock, text, wire, ...)
  mesh      core/mesh/: the node, links, hello, node_impl.h (the node's
            private struct) and mesh.h, the interface services use
  services  every other folder of core/ (core/room/, later core/audio/, ...)

The rules, by tag:
  [base]       a base file includes only base headers
  [mesh]       core/mesh includes only base and core/mesh headers
  [service]    core/<svc> includes only base headers, core/<svc>/ headers and
               core/mesh/mesh.h
  [node_impl]  nothing outside core/mesh includes node_impl.h (ui/, discovery/
               and tests/ may otherwise include anything)
  [layout]     node_impl.h lives in core/mesh/, so [node_impl] means something
  [unresolved] a quoted include found nowhere on the include path (not checked
               in tests/fuzz/, nor for a header generated from a NAME.in)
  [cycle]      a cycle of includes among core/ headers

Only quoted includes count; <...> are system headers. A quoted include is
looked up as the compiler does: in the including file's own folder, then on
the include path of its CMake targets: core/ for core/ (so "err.h" and
"mesh/mesh.h" both resolve from core/room/chat.c); for the other folders the
-I list their targets are built with (tests.cmake, CMakeLists.txt).

Prints one line per violation (file:line: [tag] what) and exits 1, or a
one-line summary and exits 0.
"""
import os
import re
import subprocess
import sys
import tempfile

SCANNED = ("core", "ui", "discovery", "tests")
# The -I folders, after the file's own, by top folder (see CMakeLists.txt):
# lmcore is built with core; lmdisc with discovery core; lanmeet adds ui;
# the unit tests use tests core ui discovery.
SEARCH = {
    "core": ("core",),
    "discovery": ("discovery", "core"),
    "ui": ("ui", "core", "discovery"),
    "tests": ("tests", "core", "ui", "discovery"),
}
NO_UNRESOLVED = ("tests/fuzz/",)  # fuzz targets pick their own -I
MESH_API = "core/mesh/mesh.h"
NODE_IMPL = "node_impl.h"

INCLUDE_RE = re.compile(r'^[ \t]*#[ \t]*include[ \t]*"([^"\n]+)"', re.M)
# Comments and literals, so an include inside a comment does not count and
# a "/*" inside a string does not start one.
LEXEME_RE = re.compile(
    r'//[^\n]*|/\*.*?\*/|"(?:\\.|[^"\\\n])*"|\'(?:\\.|[^\'\\\n])*\'', re.S)


def strip_comments(text):
    """Blanks out comments, keeping newlines so line numbers hold."""
    def blank(m):
        s = m.group(0)
        if s.startswith("/"):
            return re.sub(r"[^\n]", " ", s)
        return s
    return LEXEME_RE.sub(blank, text)


def quoted_includes(path):
    """(line, name) for each #include "name" in the file."""
    with open(path, encoding="utf-8", errors="replace") as f:
        text = strip_comments(f.read())
    return [(text.count("\n", 0, m.start()) + 1, m.group(1))
            for m in INCLUDE_RE.finditer(text)]


def area(rel):
    """'base', 'mesh', 'service:<name>', or 'outside' for a repo path."""
    parts = rel.split("/")
    if parts[0] != "core" or len(parts) < 2:
        return "outside"
    if len(parts) == 2:
        return "base"
    if parts[1] == "mesh":
        return "mesh"
    return "service:" + parts[1]


def source_files(root):
    """Repo-relative paths of the .c/.h files to check, sorted."""
    found = []
    for top in SCANNED:
        for d, dirs, files in os.walk(os.path.join(root, top)):
            # no hidden folders, no build trees inside the sources
            dirs[:] = sorted(x for x in dirs if not x.startswith(".") and
                             not os.path.exists(
                                 os.path.join(d, x, "CMakeCache.txt")))
            for name in files:
                if name.endswith((".c", ".h")):
                    found.append(os.path.relpath(os.path.join(d, name), root)
                                 .replace(os.sep, "/"))
    return sorted(found)


def resolve(root, rel, name):
    """Repo-relative path the include resolves to, or None. The first hit
    wins, as with the compiler."""
    own = os.path.dirname(rel)
    for d in (own,) + SEARCH[rel.split("/")[0]]:
        cand = os.path.normpath(os.path.join(d, name)).replace(os.sep, "/")
        if os.path.isfile(os.path.join(root, cand)):
            return cand
    return None


def generated(root, rel, name):
    """Whether NAME is made at build time from a NAME.in on the path."""
    own = os.path.dirname(rel)
    return any(os.path.isfile(os.path.join(root, d, name + ".in"))
               for d in (own,) + SEARCH[rel.split("/")[0]])


def rule_broken(src, dst):
    """The rule that src including dst breaks, or None."""
    s, t = area(src), area(dst)
    if s == "outside":
        return None
    if s == "base" and t != "base":
        return "base", "base (core/*) may include only base headers"
    if s == "mesh" and t not in ("base", "mesh"):
        return "mesh", "core/mesh may include only base and core/mesh headers"
    if s.startswith("service:") and t != "base" and t != s \
            and dst != MESH_API:
        svc = "core/" + s.split(":", 1)[1]
        return "service", (f"service {svc} may include only base headers, "
                           f"{svc}/ headers and {MESH_API}")
    return None


def find_cycles(edges):
    """Each cycle once, as a list of nodes starting and ending at the same
    one, from a DFS over edges {node: [(line, node), ...]}."""
    cycles, seen, state, stack = [], set(), {}, []

    def visit(n):
        state[n] = "open"
        stack.append(n)
        for _, m in edges.get(n, ()):
            if state.get(m) == "open":
                cyc = stack[stack.index(m):]
                i = cyc.index(min(cyc))  # one rotation per cycle
                key = tuple(cyc[i:] + cyc[:i])
                if key not in seen:
                    seen.add(key)
                    cycles.append(list(key) + [key[0]])
            elif m not in state:
                visit(m)
        stack.pop()
        state[n] = "done"

    for n in sorted(edges):
        if n not in state:
            visit(n)
    return cycles


def check(root):
    """(violations, files, includes); a violation is (path, line, tag, msg)."""
    out, edges, count = [], {}, 0
    files = source_files(root)
    for rel in files:
        if os.path.basename(rel) == NODE_IMPL and area(rel) != "mesh":
            out.append((rel, 1, "layout",
                        f"{NODE_IMPL} belongs in core/mesh/ (the node's "
                        "private struct, for core/mesh only)"))
        for line, name in quoted_includes(os.path.join(root, rel)):
            count += 1
            dst = resolve(root, rel, name)
            what = f'"{name}"' + (f" ({dst})" if dst and dst != name else "")
            if os.path.basename(name) == NODE_IMPL and area(rel) != "mesh":
                out.append((rel, line, "node_impl", f"includes {what}: only "
                            f"core/mesh may include {NODE_IMPL}"))
                continue
            if dst is None:
                if not rel.startswith(NO_UNRESOLVED) and \
                        not generated(root, rel, name):
                    dirs = ", ".join(("own folder",) +
                                     SEARCH[rel.split("/")[0]])
                    out.append((rel, line, "unresolved",
                                f'"{name}" found nowhere (looked in {dirs})'))
                continue
            broken = rule_broken(rel, dst)
            if broken:
                out.append((rel, line, broken[0],
                            f"includes {what}: {broken[1]}"))
            if rel.startswith("core/") and rel.endswith(".h") and \
                    dst.startswith("core/") and dst.endswith(".h"):
                edges.setdefault(rel, []).append((line, dst))
    for cyc in find_cycles(edges):
        line = next(ln for ln, m in edges[cyc[0]] if m == cyc[1])
        out.append((cyc[0], line, "cycle",
                    "include cycle: " + " -> ".join(cyc)))
    out.sort(key=lambda v: (v[0], v[1], v[2]))
    return out, len(files), count


def run(root):
    violations, nfiles, nincludes = check(root)
    for path, line, tag, msg in violations:
        print(f"{path}:{line}: [{tag}] {msg}")
    if violations:
        print(f"check_includes: {len(violations)} violation(s) in "
              f"{len({v[0] for v in violations})} file(s)", file=sys.stderr)
        return 1
    print(f"check_includes: {nfiles} files, {nincludes} quoted includes, "
          "all rules hold")
    return 0


# --- self-test: small trees, one clean, then one broken rule each --------

CLEAN = {
    "core/err.h": "#include <stdio.h>\n",
    "core/err.c": '#include "err.h"\n',
    "core/wire.h": '#include "err.h"\n',
    "core/wire.c": '#include "wire.h"\n#include "err.h"\n',
    "core/ver.c": '#include "version.h" /* from version.h.in */\n',
    "core/version.h.in": "#define V \"@V@\"\n",
    "core/mesh/mesh.h": '#include "err.h"\n#include "../wire.h"\n',
    "core/mesh/links.h": '#include "mesh.h"\n',
    "core/mesh/node_impl.h": '#include "mesh.h"\n#include "links.h"\n',
    "core/mesh/node.c": '#include "node_impl.h"\n#include "mesh/links.h"\n',
    "core/room/chat.h": '#include "mesh/mesh.h"\n',
    "core/room/chat.c": ('#include "chat.h"\n#include "err.h"\n'
                         '#include "room/chat.h"\n#include "../mesh/mesh.h"\n'
                         '#include <mesh/node_impl.h>\n'),
    "core/audio/mix.h": '#include "wire.h"\n',
    "discovery/disc.h": '#include "wire.h"\n',
    "discovery/disc.c": '#include "disc.h"\n#include "mesh/mesh.h"\n',
    "ui/app.h": '#include "disc.h"\n#include "mesh/links.h"\n',
    "ui/app.c": ('#include "app.h"\n#include "room/chat.h"\n'
                 '/* not here:\n#include "mesh/node_impl.h"\n*/\n'
                 'static const char *s = "/*";\n#include "audio/mix.h"\n'
                 '// #include "mesh/node_impl.h"\n'),
    "tests/check.h": "\n",
    "tests/test_chat.c": ('#include "check.h"\n#include "room/chat.h"\n'
                          '#include "app.h"\n#include "disc.h"\n'),
    "tests/fuzz/fuzz_x.c": '#include "made_up_by_the_fuzz_build.h"\n',
    "build/CMakeCache.txt": "",
    "tests/build/CMakeCache.txt": "",
    "tests/build/gen.c": '#include "nowhere.h"\n',
}

# (what, files to add or replace, [(path, line, tag)] expected)
BROKEN = [
    ("base includes mesh.h", {"core/wire.c": '#include "err.h"\n'
                                             '#include "mesh/mesh.h"\n'},
     [("core/wire.c", 2, "base")]),
    ("base includes a service header", {"core/err.c": '#include "room/chat.h"\n'},
     [("core/err.c", 1, "base")]),
    ("base includes ui by a relative path",
     {"core/err.c": '#include "../ui/app.h"\n'}, [("core/err.c", 1, "base")]),
    ("mesh includes a service header",
     {"core/mesh/node.c": '#include "node_impl.h"\n#include "room/chat.h"\n'},
     [("core/mesh/node.c", 2, "mesh")]),
    ("service includes a mesh header other than mesh.h",
     {"core/room/chat.c": '#include "mesh/links.h"\n'},
     [("core/room/chat.c", 1, "service")]),
    ("service includes another service",
     {"core/room/chat.h": '#include "audio/mix.h"\n'},
     [("core/room/chat.h", 1, "service")]),
    ("service includes node_impl.h",
     {"core/room/chat.c": '\n#include "mesh/node_impl.h"\n'},
     [("core/room/chat.c", 2, "node_impl")]),
    ("ui includes node_impl.h",
     {"ui/app.c": '#include "mesh/node_impl.h"\n'},
     [("ui/app.c", 1, "node_impl")]),
    ("a \"/*\" in a string does not hide what follows",
     {"ui/app.c": 'static const char *s = "/*";\n#include "mesh/node_impl.h"\n'},
     [("ui/app.c", 2, "node_impl")]),
    ("discovery includes node_impl.h",
     {"discovery/disc.c": '#include "../core/mesh/node_impl.h"\n'},
     [("discovery/disc.c", 1, "node_impl")]),
    ("tests include node_impl.h",
     {"tests/test_chat.c": '#include "check.h"\n#include "mesh/node_impl.h"\n'},
     [("tests/test_chat.c", 2, "node_impl")]),
    ("node_impl.h outside core/mesh",
     {"core/node_impl.h": '#include "err.h"\n',
      "core/room/x.c": '#include "node_impl.h"\n'},
     [("core/node_impl.h", 1, "layout"), ("core/room/x.c", 1, "node_impl")]),
    ("unresolved in a service",
     {"core/room/chat.c": '#include "chat.h"\n#include "nothere.h"\n'},
     [("core/room/chat.c", 2, "unresolved")]),
    ("a mesh header does not resolve bare from a service",
     {"core/room/chat.c": '#include "links.h"\n'},
     [("core/room/chat.c", 1, "unresolved")]),
    ("core does not see discovery/",
     {"core/wire.c": '#include "disc.h"\n'},
     [("core/wire.c", 1, "unresolved")]),
    ("unresolved in tests",
     {"tests/test_chat.c": '#include "check.h"\n#include "gone.h"\n'},
     [("tests/test_chat.c", 2, "unresolved")]),
    ("cycle among base headers",
     {"core/a.h": '#include "b.h"\n', "core/b.h": '#include "c.h"\n',
      "core/c.h": '#include "err.h"\n#include "a.h"\n'},
     [("core/a.h", 1, "cycle")]),
    ("cycle between mesh headers",
     {"core/mesh/links.h": '#include "mesh.h"\n#include "node_impl.h"\n'},
     [("core/mesh/links.h", 2, "cycle")]),
    ("header includes itself",
     {"core/err.h": '#include "err.h"\n'}, [("core/err.h", 1, "cycle")]),
]


def make_tree(base, files):
    for rel, text in files.items():
        path = os.path.join(base, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)


def self_test():
    failed = 0

    def report(ok, what, detail=""):
        nonlocal failed
        failed += not ok
        print(f"{'PASS' if ok else 'FAIL'} {what}" +
              (f"\n     {detail}" if detail and not ok else ""))

    with tempfile.TemporaryDirectory(prefix="check_includes.") as tmp:
        clean = os.path.join(tmp, "clean")
        make_tree(clean, CLEAN)
        got, _, _ = check(clean)
        report(not got, "clean tree passes", f"got {got}")

        for i, (what, files, want) in enumerate(BROKEN):
            root = os.path.join(tmp, f"case{i}")
            make_tree(root, {**CLEAN, **files})
            got = [(p, ln, tag) for p, ln, tag, _ in check(root)[0]]
            report(got == want, what, f"got {got}, want {want}")

        # the command line: exit status and output format
        me = os.path.abspath(__file__)
        p = subprocess.run([sys.executable, me, clean], capture_output=True,
                           text=True)
        report(p.returncode == 0 and len(p.stdout.splitlines()) == 1,
               "command line: clean tree exits 0 with one line",
               f"rc {p.returncode}, stdout {p.stdout!r}")
        p = subprocess.run([sys.executable, me, os.path.join(tmp, "case0")],
                           capture_output=True, text=True)
        report(p.returncode == 1 and p.stdout.startswith(
                   "core/wire.c:2: [base] includes \"mesh/mesh.h\" "
                   "(core/mesh/mesh.h): ") and len(p.stdout.splitlines()) == 1,
               "command line: a violation exits 1 with file:line",
               f"rc {p.returncode}, stdout {p.stdout!r}")

    print(f"self-test: {'FAIL' if failed else 'PASS'}"
          f" ({len(BROKEN) + 3 - failed} passed, {failed} failed)")
    return 1 if failed else 0


def main(argv):
    if argv[1:] == ["--self-test"]:
        return self_test()
    if len(argv) > 2 or (len(argv) == 2 and argv[1].startswith("-")):
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    root = argv[1] if len(argv) == 2 else \
        os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    if not os.path.isdir(os.path.join(root, "core")):
        print(f"check_includes: {root}: no core/ folder", file=sys.stderr)
        return 2
    return run(root)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
