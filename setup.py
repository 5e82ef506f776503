"""C extensions of the cross-matching hot modules, compiled by Cython from the .py files.

Everything else about the package is in pyproject.toml. The .py files stay the source (Cython's
pure-Python mode, C types in optional .pxd files beside them) and run as they are wherever the
extensions are not built: set GAINPORTAL_NO_COMPILE=1 to skip the build, and a module whose
extension fails to compile is left out with a warning (Extension(optional=True)).
gainportal/matching/__init__.py imports an extension only while BUILD_RECORD says it was built
from the source beside it.
"""
from __future__ import annotations

import importlib.util
import json
import os
from pathlib import Path

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

HERE = Path(__file__).resolve().parent
PKG = HERE / "gainportal" / "matching"


def _matching_init():
    # By path: importing the gainportal package would need its runtime dependencies.
    spec = importlib.util.spec_from_file_location("_gainportal_matching_build", PKG / "__init__.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


MATCHING = _matching_init()

DIRECTIVES = {
    "language_level": 3,
    # Python semantics everywhere: annotations are documentation, not C types (a `dict`
    # annotation would reject a defaultdict), integers stay Python ints (no C overflow),
    # division stays Python division. C types are declared only in the .pxd files.
    "annotation_typing": False,
    "cdivision": False,
    "boundscheck": True,
    "wraparound": True,
    "binding": True,  # functools.lru_cache, pickling by name and introspection as for Python functions
}


def extensions() -> list:
    if os.environ.get("GAINPORTAL_NO_COMPILE"):
        return []
    try:
        from Cython.Build import cythonize
    except ImportError:  # a build outside pip's isolated environment without Cython: pure Python
        return []
    exts = [
        Extension(f"gainportal.matching.{name}", [f"gainportal/matching/{name}.py"],
                  # No fused multiply-add: float sums round exactly as in the interpreter.
                  extra_compile_args=["-ffp-contract=off"], optional=True)
        for name in MATCHING.COMPILED
    ]
    out = cythonize(exts, compiler_directives=DIRECTIVES, quiet=True)
    for ext in out:
        ext.optional = True
    return out


class BuildExt(build_ext):
    """build_ext that records, beside the built extensions, the source digest each was built from."""

    def finalize_options(self):
        super().finalize_options()
        if not self.parallel:
            self.parallel = os.cpu_count() or 1  # seven modules, about 10 s of gcc each

    def run(self):
        super().run()
        record: dict[str, str] = {}
        folder = None
        for ext in self.extensions:
            target = Path(self.get_ext_fullpath(ext.name))
            if target.exists():
                folder = target.parent
                record[ext.name.rsplit(".", 1)[1]] = MATCHING.source_digest(ext.name.rsplit(".", 1)[1], str(PKG))
        if folder is not None:
            (folder / MATCHING.BUILD_RECORD).write_text(json.dumps(record, indent=1, sort_keys=True) + "\n")

    def get_outputs(self):
        # The record goes into wheels (and editable installs) with the extensions.
        outs = super().get_outputs()
        if self.extensions:
            outs.append(os.path.join(os.path.dirname(self.get_ext_fullpath(self.extensions[0].name)),
                                     MATCHING.BUILD_RECORD))
        return outs


setup(ext_modules=extensions(), cmdclass={"build_ext": BuildExt})
