"""Jinja template class for pages that import many macro files.

Every ``{% from "..." import macro %}`` asks the imported template for its module, and Jinja
first works out which of the importing context's globals the imported template lacks
(``ctx.globals_keys - self.globals.keys()``, a set difference against a ChainMap, one
membership test per global per map). Our base layout imports about twenty component macro
files, so on every page that difference was worked out twenty times and came to roughly a
tenth of the CPU of a simple page. The answer only changes when the globals' key sets do,
and both are fixed once the app is set up, so it is remembered per importing key set and the
sizes of the imported template's global maps (a global added later changes a size and the
difference is worked out again)."""
from __future__ import annotations

import typing as t

from jinja2 import Template
from jinja2.runtime import Context


class ImportCachingTemplate(Template):
    def _get_default_module(self, ctx: t.Optional[Context] = None):
        if ctx is not None and not self.environment.is_async:
            maps = getattr(self.globals, "maps", (self.globals,))
            importing = ctx.globals_keys
            if not isinstance(importing, frozenset):  # Jinja uses a plain empty set for "none"
                importing = frozenset(importing)
            key = (importing, tuple(len(m) for m in maps))
            cache = self.__dict__.setdefault("_gainportal_missing_globals", {})
            missing = cache.get(key)
            if missing is None:
                missing = cache[key] = frozenset(importing - self.globals.keys())
            if missing:
                return self.make_module({name: ctx.parent[name] for name in missing})
            if self._module is None:
                self._module = self.make_module()
            return self._module
        return super()._get_default_module(ctx)


def compile_all(env) -> int:
    """Compile every page template and macro file now. A web worker otherwise compiles each
    one the first time it is rendered (about 1.3 s of CPU for all of them), so the first
    people after a deploy or a worker restart waited tens of ms per page for it; and a
    template that does not compile stops the deploy instead of failing someone's page."""
    names = env.list_templates(filter_func=lambda n: n.endswith(".html"))
    for name in names:
        env.get_template(name)
    return len(names)
