"""The C extensions Cython builds from the matching modules (setup.py) are the modules that run
when they are up to date, and they give exactly what the plain .py files give."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import gainportal.matching as matching
from gainportal.matching import COMPILED, built_modules, compiled_loaded, source_digest

ROOT = Path(__file__).resolve().parents[3]
HERE = Path(matching.__file__).resolve().parent

# Answers the generated set may lack: every extraction pattern, non-ASCII names, swapped
# order, business names, identifiers without a name.
TRICKY = [
    ("SMITH, John (dob 03/04/1985) of 14 Acacia Road, Leeds LS6 2AB, tel 07700 900123", None),
    ("Mr J. Smith Jnr and his partner Jane SMITH, born 1st June 1987, drive AB12 CDE", None),
    ("Łukasz Zięcik aka 'Luke' aged 34, seen with Seán O'Neill at Smith & Sons Motors Ltd", None),
    ("Gaz Smith (dob 3.4.85) / FR6O STG / +44 (0)7700 900 123 / April 3, 1985", None),
    ("Nothing known. Flat 2, 7 Mill Lane, M1 1AE.", None),
    ("MCDONALD Kate-Louise, 1985-04-03; Catherine Macdonald-Jones", None),
    ("", {"name": "Smith John", "dob": "1985-03-04", "postcode": "ls62ab", "vrm": "ab12cde"}),
    ("", {"name": "O'Neill, Catherine", "dob": "34", "phone": "0044 7700 900123"}),
]

# Run in a child process with GAINPORTAL_PURE_PYTHON=1 (every matching module from its .py)
# and in this one: one repr line per answer, as bench/xmatch/dump_results.py writes them.
SCRIPT = r"""
import json, sys
from datetime import date
from pathlib import Path
out = Path(sys.argv[1])
import gainportal.matching as gm
from gainportal.matching.bulk import STRUCTURED_FIELDS, read_mentions, read_nominals
from gainportal.matching.matcher import Matcher
from gainportal.matching.extract import mentions_from_text
pairs = [(m.get("text") or "", {k: m[k] for k in STRUCTURED_FIELDS if m.get(k)} or None)
         for m in read_mentions(out / "mentions.jsonl")] + [tuple(p) for p in json.loads(sys.argv[2])]
ref = date.fromisoformat(json.loads((out / "meta.json").read_text())["ref_date"])
matcher = Matcher(read_nominals(out / "nominals.csv"), ref_date=ref)
print(json.dumps(gm.compiled_loaded()))
for cands in matcher.match_many(pairs, processes=1):
    print(repr([(c.nominal_id, c.score, c.tier, sorted(c.features.items()), c.relationship, c.span)
                for c in cands]))
for text, _ in pairs:
    print(repr([(m.name, m.dob, m.postcode, m.address, m.vrms, m.phones, m.businesses, m.span,
                 sorted(m.spans.items())) for m in mentions_from_text(text, ref)]))
"""


def _up_to_date() -> list[str]:
    try:
        recorded = json.loads((HERE / matching.BUILD_RECORD).read_text())
    except (OSError, ValueError):
        recorded = {}
    return [n for n in built_modules() if recorded.get(n) == source_digest(n)]


def _run(out: Path, pure: bool) -> list[str]:
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    env.pop("GAINPORTAL_PURE_PYTHON", None)
    if pure:
        env["GAINPORTAL_PURE_PYTHON"] = "1"
    done = subprocess.run([sys.executable, "-c", SCRIPT, str(out), json.dumps(TRICKY)], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return done.stdout.splitlines()


def test_up_to_date_extensions_are_loaded_and_stale_ones_are_not():
    if os.environ.get("GAINPORTAL_PURE_PYTHON"):
        pytest.skip("GAINPORTAL_PURE_PYTHON is set: every matching module runs from its .py")
    fresh = _up_to_date()
    if not fresh:
        pytest.skip("no up-to-date C extensions of the matching modules (not built: GAINPORTAL_NO_COMPILE, "
                    "no Cython or compiler, or a .py edited since `pip install -e .`)")
    for name in COMPILED:
        __import__(f"gainportal.matching.{name}")
    loaded = compiled_loaded()
    assert {n for n, c in loaded.items() if c} == set(fresh)


def test_compiled_modules_match_exactly_what_the_python_source_matches(tmp_path):
    fresh = _up_to_date()
    if not fresh or os.environ.get("GAINPORTAL_PURE_PYTHON"):
        pytest.skip("no up-to-date C extensions of the matching modules: both sides would be the .py")
    out = tmp_path / "set"
    subprocess.run([sys.executable, str(ROOT / "bench" / "xmatch" / "generate.py"), "--nominals", "3000",
                    "--mentions", "600", "--seed", "11", "--out", str(out)],
                   cwd=ROOT, check=True, capture_output=True, timeout=300)
    compiled, pure = _run(out, pure=False), _run(out, pure=True)
    assert set(json.loads(compiled[0])) == set(COMPILED)
    assert set(n for n, c in json.loads(compiled[0]).items() if c) == set(fresh)
    assert not any(json.loads(pure[0]).values())
    assert len(compiled) == 1 + 2 * (600 + len(TRICKY))
    # Shown candidates in the sample, so the comparison covers scores, tiers and features.
    assert sum(line != "[]" for line in compiled[1:601]) > 100
    assert compiled[1:] == pure[1:]
