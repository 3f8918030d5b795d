#!/usr/bin/env python3
"""The dependency rule of docs/ARCHITECTURE.md, for includes: a layer's headers and sources include
heapkit headers of their own layer and of the layers below it only.

usage: layer_includes.py PROJECT_ROOT      (prints each breach and `N passed, N failed`; exit 1 on any)

The link targets (heapkit_offset, heapkit_heap, heapkit_trace) already refuse a call upward; this
also catches a header-only use, which the linker never sees.
"""
import pathlib
import re
import sys

# The heapkit headers each layer may include: its own, those below, and the generated version.
ALLOWED = {
    "offset": {"offset"},
    "heap": {"heap", "offset"},
    "trace": {"trace", "heap", "offset"},
}
COMMON = {"heapkit/version.hpp"}
INCLUDE = re.compile(r'^\s*#\s*include\s*[<"](heapkit/[^>"]+)[>"]', re.MULTILINE)


def breaches(root):
    for layer, allowed in ALLOWED.items():
        for folder in (root / "include" / "heapkit" / layer, root / "src" / layer):
            for path in sorted(folder.rglob("*.[ch]pp")):
                for header in INCLUDE.findall(path.read_text()):
                    used = header.split("/")[1] if header.count("/") >= 2 else None
                    if header not in COMMON and used not in allowed:
                        yield f"{path.relative_to(root)}: the {layer} layer includes {header}"


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    root = pathlib.Path(sys.argv[1])
    if not (root / "include" / "heapkit" / "offset").is_dir():
        sys.exit(f"layer_includes: {root} holds no include/heapkit/offset")
    found = list(breaches(root))
    for line in found:
        print(line)
    print(f"{0 if found else 1} passed, {1 if found else 0} failed")
    sys.exit(1 if found else 0)


if __name__ == "__main__":
    main()
