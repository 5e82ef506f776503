"""Cross-matching of partner answers against the nominal register (DESIGN.md sections 5 and 8).

Pure Python: no Flask, no database. The service layer feeds it visible nominals only.

The hot modules (COMPILED) are also built as C extensions by Cython from the same .py files
(setup.py; `pip install -e .` builds them in place). A built module is used only while it was
built from the .py (and .pxd) now beside it: an edited source with an old build would
otherwise run the old code, so such a module is imported from its .py instead, with a
warning. GAINPORTAL_PURE_PYTHON=1 imports every module from its .py.
"""
from __future__ import annotations

import hashlib
import importlib.machinery
import importlib.util
import json
import os
import sys
import warnings

# Dependency order (setup.py builds these).
COMPILED = ("dates", "identifiers", "names", "records", "score", "index", "extract", "matcher")
BUILD_RECORD = "_compiled.json"  # {module: source_digest()} written by setup.py's build_ext
_HERE = os.path.dirname(os.path.abspath(__file__))


def source_digest(name: str, folder: str = _HERE) -> str:
    """SHA-256 of a module's .py and, if present, its .pxd (what its C extension is built from)."""
    h = hashlib.sha256()
    for ext in (".py", ".pxd"):
        try:
            with open(os.path.join(folder, name + ext), "rb") as fh:
                h.update(ext.encode() + fh.read())
        except FileNotFoundError:
            pass
    return h.hexdigest()


def built_modules(folder: str = _HERE) -> list[str]:
    """COMPILED modules with a C extension file beside their .py."""
    return [n for n in COMPILED
            if any(os.path.exists(os.path.join(folder, n + s)) for s in importlib.machinery.EXTENSION_SUFFIXES)]


def compiled_loaded() -> dict[str, bool]:
    """For each COMPILED module already imported: True if it runs as a C extension."""
    out = {}
    for n in COMPILED:
        mod = sys.modules.get(f"{__name__}.{n}")
        if mod is not None:
            out[n] = isinstance(getattr(mod, "__loader__", None), importlib.machinery.ExtensionFileLoader)
    return out


class _SourceFirst:
    """Meta path finder: these modules from their .py even though an extension is beside it."""

    def __init__(self, paths: dict[str, str]):
        self.paths = paths

    def find_spec(self, fullname, path=None, target=None):
        src = self.paths.get(fullname)
        return importlib.util.spec_from_file_location(fullname, src) if src else None


def _choose_sources() -> None:
    built = built_modules()
    if not built:
        return
    if os.environ.get("GAINPORTAL_PURE_PYTHON"):
        use_source = built
    else:
        try:
            with open(os.path.join(_HERE, BUILD_RECORD), encoding="utf-8") as fh:
                recorded = json.load(fh)
        except (OSError, ValueError):
            recorded = {}
        use_source = [n for n in built if recorded.get(n) != source_digest(n)]
        if use_source:
            warnings.warn(
                f"gainportal.matching: the C extension of {', '.join(use_source)} was not built from the "
                "source beside it; running the .py instead (rebuild: pip install -e .)",
                RuntimeWarning, stacklevel=2)
    if use_source:
        sys.meta_path.insert(0, _SourceFirst(
            {f"{__name__}.{n}": os.path.join(_HERE, n + ".py") for n in use_source}))


if __name__ == "gainportal.matching":  # not when setup.py reads COMPILED and source_digest()
    _choose_sources()
