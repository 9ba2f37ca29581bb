#!/usr/bin/env python3
"""Lists the import circles between the files of a Rust crate; exits 1 if there is one.

    tools/import-cycles.py sdk/src/lib.rs sdk/src/bin/stablerail/main.rs

Each argument is a crate root. Every `use crate::…`, `use super::…`, `use self::…` and
inline `crate::a::b` path is resolved to the file that defines the item, following one
level of `pub use` re-export in a `mod.rs`/`lib.rs` (so `crate::evm::Chain` counts as an
edge to the file `evm/mod.rs` re-exports `Chain` from). Unit tests (`#[cfg(test)] mod`
blocks) are left out: a test may use what the code under test is used by. Edges from a
file to its own parent module's re-export list are not edges (a `mod.rs` that only
declares and re-exports is the crate's index, not a dependency).

The rule it checks is docs/rules.md's "no import circles" (issue #18).
"""

import re
import sys
from pathlib import Path

MOD_DECL = re.compile(r"^\s*(?:pub(?:\([^)]*\))?\s+)?mod\s+([a-z_0-9]+)\s*;", re.M)
USE_STMT = re.compile(r"\buse\s+([^;]+);", re.S)
INLINE_PATH = re.compile(r"\b((?:crate|super|self)(?:::[A-Za-z_][A-Za-z_0-9]*)+)")
PUB_USE = re.compile(r"^\s*pub(?:\([^)]*\))?\s+use\s+([^;]+);", re.M | re.S)


def strip_tests(text: str) -> str:
    """Drops `#[cfg(test)]`-gated `mod … { … }` blocks and comments."""
    text = re.sub(r"//[^\n]*", "", text)
    out, i = [], 0
    for m in re.finditer(r"#\[cfg\(test\)\]\s*(?:pub(?:\([^)]*\))?\s+)?mod\s+\w+\s*\{", text):
        if m.start() < i:
            continue
        out.append(text[i : m.start()])
        depth, j = 1, m.end()
        while j < len(text) and depth:
            depth += {"{": 1, "}": -1}.get(text[j], 0)
            j += 1
        i = j
    out.append(text[i:])
    return "".join(out)


def expand(tree: str) -> list[str]:
    """`a::{b, c::{d, e}}` -> [`a::b`, `a::c::d`, `a::c::e`]."""
    tree = re.sub(r"\s+", "", tree)
    if "{" not in tree:
        return [re.sub(r"as\w+$", "", tree)]
    head, rest = tree.split("{", 1)
    body = rest[: rest.rfind("}")]
    parts, depth, cur = [], 0, ""
    for ch in body:
        if ch == "," and depth == 0:
            parts.append(cur)
            cur = ""
            continue
        depth += {"{": 1, "}": -1}.get(ch, 0)
        cur += ch
    parts.append(cur)
    return [p for part in parts if part for p in expand(head + part)]


class Crate:
    def __init__(self, root: Path):
        self.files: dict[tuple, Path] = {}
        self.text: dict[tuple, str] = {}
        self.load((), root)

    def load(self, module: tuple, path: Path):
        self.files[module] = path
        self.text[module] = strip_tests(path.read_text())
        base = path.parent if path.name in ("mod.rs", "lib.rs", "main.rs") else path.with_suffix("")
        for name in MOD_DECL.findall(self.text[module]):
            for child in (base / f"{name}.rs", base / name / "mod.rs"):
                if child.exists():
                    self.load(module + (name,), child)
                    break

    def reexports(self, module: tuple) -> dict[str, tuple]:
        """Item name -> the child module a `pub use child::…` takes it from."""
        found = {}
        for tree in PUB_USE.findall(self.text[module]):
            for path in expand(tree):
                segs = path.split("::")
                if len(segs) >= 2 and module + (segs[0],) in self.files:
                    found[segs[-1]] = module + (segs[0],)
        return found

    def resolve(self, here: tuple, path: str):
        segs = path.split("::")
        if segs[0] == "crate":
            module, segs = (), segs[1:]
        elif segs[0] in ("super", "self"):
            module = here
            while segs and segs[0] in ("super", "self"):
                if segs[0] == "super":
                    module = module[:-1]
                segs = segs[1:]
        else:
            return None
        for seg in segs:
            if module + (seg,) in self.files:
                module = module + (seg,)
            else:
                return self.reexports(module).get(seg, module)
        return module

    def edges(self):
        for module, text in self.text.items():
            paths = [p for t in USE_STMT.findall(text) for p in expand(t)]
            paths += INLINE_PATH.findall(text)
            for path in paths:
                target = self.resolve(module, path)
                # A parent's re-export list is the index, not a dependency; a child is
                # reached from its parent by `mod`, which is not an import either.
                if target is None or target == module or target == module[:-1]:
                    continue
                if module == target[:-1] and re.search(
                    rf"^\s*(?:pub(?:\([^)]*\))?\s+)?use\s+{target[-1]}::", text, re.M
                ):
                    continue
                yield module, target


def cycles(graph: dict) -> list[list]:
    """Strongly connected components with more than one member (Tarjan)."""
    index, low, stack, on, out, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(comp)

    for v in list(graph):
        if v not in index:
            visit(v)
    return out


def main() -> int:
    found = False
    for root in sys.argv[1:]:
        crate = Crate(Path(root))
        graph: dict = {}
        for a, b in crate.edges():
            graph.setdefault(a, set()).add(b)
        for comp in cycles(graph):
            found = True
            names = sorted(str(crate.files[m]) for m in comp)
            print(f"import circle in {root}: " + " <-> ".join(names))
            for a in comp:
                for b in sorted(graph.get(a, ())):
                    if b in comp:
                        print(f"  {crate.files[a]} -> {crate.files[b]}")
        edges = sum(len(v) for v in graph.values())
        print(f"{root}: {len(crate.files)} files, {edges} import edges")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
