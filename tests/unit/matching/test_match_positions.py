"""score.score_positions() (matcher.match()'s loop over a mention's register positions, moved
into score.py for direct calls) gives the rows the plain loop gives."""
import random
from datetime import date

from gainportal.matching.extract import mention_from_fields
from gainportal.matching.index import CandidateIndex
from gainportal.matching.matcher import _name_entry, _view
from gainportal.matching.records import NominalRecord
from gainportal.matching.score import TIER_ORDER, below_every_tier, best_name, score_candidate, score_positions

REF = date(2026, 11, 22)
FORENAMES = ["John", "Jon", "Jane", "Gary", "Gaz", "Paul", "Kate", "Catherine", "J", "Ali", "Mo", ""]
SURNAMES = ["Smith", "Smyth", "Jones", "Johns", "Brown", "Khan", "Kahn", "Smith-Jones", ""]
POSTCODES = ["LS6 2AB", "LS6 2AD", "LS7 1AA", "M1 1AE", ""]
ADDRESSES = ["14 Acacia Road", "2 High Street", ""]
DOBS = ["1985-04-03", "1985-03-04", "1985-04-13", "1990-01-01", "", "aged 40"]


def _plain(ids, m, views, best, index, skip_hopeless):
    scored = []
    direct = m.pairs[0]
    for i in ids:
        nv = views[i]
        if direct:
            bn = best.get(i)
            if bn is None:
                if skip_hopeless and below_every_tier(m, nv, m.sur_bits):
                    continue
                bn = best[i] = best_name(m.pairs, nv, index, m.sur_bits)
        else:
            bn = None
        score, features, tier, rel = score_candidate(m, nv, index, bn)
        if tier:
            scored.append((TIER_ORDER[tier], -score, nv.nominal_id, tier, features, rel, nv))
    return scored


def test_score_positions_equals_the_plain_loop():
    rng = random.Random(11)
    records = [NominalRecord(f"N{i}", rng.choice(FORENAMES[:-1]), rng.choice(SURNAMES[:-1]),
                             aliases=("Gaz Smith",) if rng.random() < 0.1 else (),
                             dob=rng.choice(DOBS[:4] + [None]), address=rng.choice(ADDRESSES),
                             postcode=rng.choice(POSTCODES), vrms=("AB12CDE",) if rng.random() < 0.1 else ())
               for i in range(400)]
    index = CandidateIndex(records)
    ids = list(range(len(index)))
    shown = 0
    for _ in range(300):
        m = mention_from_fields(name=f"{rng.choice(FORENAMES)} {rng.choice(SURNAMES)}".strip(),
                                dob=rng.choice(DOBS), postcode=rng.choice(POSTCODES), address=rng.choice(ADDRESSES),
                                vrm="AB12CDE" if rng.random() < 0.2 else "", ref=REF)
        v = _view(m)
        v.sur_bits = _name_entry(index, *v.pairs).sur_bits
        for skip in (False, True):
            best, plain_best = {}, {}
            got = score_positions(ids, v, index.views, best, index, skip)
            assert got == _plain(ids, v, index.views, plain_best, index, skip)
            assert best == plain_best
            # Filled in: a second call reads the best_name() results back.
            assert score_positions(ids, v, index.views, best, index, skip) == got
            shown += len(got)
    assert shown > 500
