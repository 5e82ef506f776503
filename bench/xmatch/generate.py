"""Labelled synthetic cross-matching benchmark at national scale.

Writes bench/out/nominals.csv, mentions.jsonl (DESIGN.md section 8 formats), labels.jsonl
and meta.json. Labels never reach the matcher: evaluate.py joins them afterwards.

    .venv/bin/python bench/xmatch/generate.py [--nominals 36953] [--mentions 100000] [--seed 7]
"""
from __future__ import annotations

import argparse
import csv
import json
import random
from datetime import date, timedelta
from pathlib import Path

from faker import Faker

from gainportal.matching.names import UK_NICKNAMES

OUT = Path(__file__).resolve().parents[1] / "out"
REF_DATE = date(2026, 11, 22)

# UK name diversity: mostly en_GB, with Irish, Polish and South Asian names as on real registers.
LOCALES = [("en_GB", 0.76), ("en_IE", 0.10), ("pl_PL", 0.07), ("en_IN", 0.07)]
AREAS = ("LS BD HD WF HX S DN HU YO M OL BL WN SK WA L CH PR BB B WS WV DY CV NG DE LE ST "
         "NE SR DH TS CA G EH KA FK CF NP SA BS BA GL OX RG SO PO BN TN ME CT E N SE SW W NW").split()
UNIT = "ABDEFGHJLNPQRSTUWXYZ"
STREETS = ("Road Street Avenue Lane Close Drive Way Crescent Grove Terrace Place Gardens Court "
           "Walk Rise Mews View Hill").split()
STREET_ABBR = {"Road": "Rd", "Street": "St", "Avenue": "Ave", "Lane": "Ln", "Close": "Cl",
               "Drive": "Dr", "Crescent": "Cres", "Terrace": "Tce", "Gardens": "Gdns", "Place": "Pl"}
TOWNS = ("Leeds Bradford Wakefield Halifax Huddersfield Sheffield Doncaster Hull York Manchester "
         "Oldham Bolton Wigan Stockport Liverpool Preston Blackburn Birmingham Walsall Coventry "
         "Nottingham Derby Leicester Newcastle Sunderland Glasgow Cardiff Bristol").split()
ROLES = ("principal", "lieutenant", "associate", "courier", "enforcer", "money launderer", "driver")
BUSINESS_KINDS = ("Motors", "Hand Car Wash", "Scaffolding Ltd", "Autos", "Lettings Ltd",
                  "Building Services Ltd", "Tyres", "Vapes", "Barbers", "Transport Ltd")
PLATE = "ABCDEFGHJKLMNOPRSTUVWXY"
LOOKALIKE = {"0": "O", "O": "0", "1": "I", "I": "1", "5": "S", "S": "5", "8": "B", "B": "8",
             "2": "Z", "Z": "2", "6": "G", "G": "6"}

# Reverse of the supplement plus common English short forms, for nickname noise.
NICKS: dict[str, list[str]] = {}
for nick, canon in UK_NICKNAMES.items():
    for c in canon:
        NICKS.setdefault(c, []).append(nick)


class World:
    def __init__(self, seed: int):
        self.r = random.Random(seed)
        self.fakers = []
        for loc, w in LOCALES:
            f = Faker(loc)
            f.seed_instance(seed + len(self.fakers))
            self.fakers.append((f, w))

    def faker(self) -> Faker:
        return self.r.choices([f for f, _ in self.fakers], [w for _, w in self.fakers])[0]

    def person(self, sex=None) -> tuple[str, str, str]:
        f = self.faker()
        sex = sex or self.r.choice("MF")
        first = f.first_name_male() if sex == "M" else f.first_name_female()
        surname = f.last_name()
        if self.r.random() < 0.03:
            surname = f"{surname}-{self.faker().last_name()}"
        middle = ""
        if self.r.random() < 0.35:
            middle = f.first_name_male() if sex == "M" else f.first_name_female()
        return first, middle, surname

    def dob(self, lo=1955, hi=2008) -> date:
        return date(lo, 1, 1) + timedelta(days=self.r.randrange((date(hi, 12, 31) - date(lo, 1, 1)).days))

    def postcode(self) -> str:
        r = self.r
        return f"{r.choice(AREAS)}{r.randint(1, 29)} {r.randint(0, 9)}{r.choice(UNIT)}{r.choice(UNIT)}"

    def address(self) -> str:
        r = self.r
        return f"{r.randint(1, 220)} {self.faker().last_name().split('-')[0]} {r.choice(STREETS)}, {r.choice(TOWNS)}"

    def vrm(self) -> str:
        r = self.r
        return (r.choice(PLATE) + r.choice(PLATE) + f"{r.randint(51, 74) if r.random() < 0.5 else r.randint(1, 24):02d}"
                + "".join(r.choice(PLATE) for _ in range(3)))

    def phone(self) -> str:
        return "07" + "".join(str(self.r.randint(0, 9)) for _ in range(9))


def make_nominals(w: World, n: int) -> list[dict]:
    r = w.r
    noms = []
    households: list[tuple[str, str, str]] = []  # (address, postcode, surname)
    for i in range(n):
        first, middle, surname = w.person()
        # About a fifth of nominals live with another nominal (family OCGs).
        if households and r.random() < 0.2:
            address, postcode, surname = r.choice(households)
        else:
            address, postcode = w.address(), w.postcode()
            households.append((address, postcode, surname))
        aliases = []
        if r.random() < 0.15:
            nick = NICKS.get(first.lower())
            aliases.append(r.choice(nick).title() if nick else f"{w.person()[0]} {surname}")
        noms.append({
            "nominal_id": f"N{i:06d}",
            "forenames": f"{first} {middle}".strip(),
            "surname": surname,
            "aliases": ";".join(aliases),
            "dob": w.dob().isoformat(),
            "address": address,
            "postcode": postcode,
            "vrms": ";".join(w.vrm() for _ in range(r.choice((0, 0, 0, 1, 1, 2))) ),
            "phones": ";".join(w.phone() for _ in range(r.choice((0, 1, 1, 2)))),
            "businesses": f"{surname.split('-')[0]} {r.choice(BUSINESS_KINDS)}" if r.random() < 0.05 else "",
            "ocg_ref": f"OCG{r.randint(1, 1400):04d}",
            "role": r.choice(ROLES),
        })
    return noms


# --- noise ------------------------------------------------------------------------------

def typo(r: random.Random, s: str) -> str:
    """One keyboard/transcription slip, never on the first letter (people rarely get it wrong)."""
    if len(s) < 4:
        return s
    i = r.randint(1, len(s) - 2)
    kind = r.choice(("sub", "del", "swap", "dup"))
    if kind == "sub":
        return s[:i] + r.choice("aeiourstnlm") + s[i + 1:]
    if kind == "del":
        return s[:i] + s[i + 1:]
    if kind == "swap":
        return s[:i] + s[i + 1] + s[i] + s[i + 2:]
    return s[:i] + s[i] + s[i:]


def dob_text(r: random.Random, d: date) -> str:
    style = r.random()
    if style < 0.45:
        return f"{d.day:02d}/{d.month:02d}/{d.year}"
    if style < 0.6:
        return f"{d.day}/{d.month}/{d.year % 100:02d}"
    if style < 0.7:
        return f"{d.day}.{d.month}.{d.year}"
    if style < 0.85:
        suf = "th" if 11 <= d.day <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(d.day % 10, "th")
        return f"{d.day}{suf} {d.strftime('%B')} {d.year}"
    if style < 0.93:
        return d.isoformat()
    return f"{d.day} {d.strftime('%b')} {d.year}"


def loose_postcode(r: random.Random, pc: str) -> str:
    return r.choice((pc, pc, pc.replace(" ", ""), pc.lower(), pc.lower().replace(" ", "")))


def loose_vrm(r: random.Random, v: str) -> tuple[str, str]:
    roll = r.random()
    if roll < 0.15:
        i = r.choice([k for k, c in enumerate(v) if c in LOOKALIKE] or [0])
        return v[:i] + LOOKALIKE.get(v[i], v[i]) + v[i + 1:], "vrm_lookalike"
    return r.choice((v, v[:4] + " " + v[4:], v.lower(), v[:4] + " " + v[4:].lower())), "vrm_format"


def loose_phone(r: random.Random, p: str) -> str:
    return r.choice((p, p[:5] + " " + p[5:], "+44 " + p[1:5] + " " + p[5:], "+44" + p[1:], p[:5] + "-" + p[5:]))


def true_mention(w: World, nom: dict) -> tuple[dict, list[str], bool]:
    """Fields describing nominal `nom` as a partner would write them, the noise applied, and
    whether a supporting identifier survived (DOB in any form, VRM, phone, register postcode)."""
    r = w.r
    first = nom["forenames"].split()[0]
    surname = nom["surname"]
    noise = []
    roll = r.random()
    fields: dict = {}
    if roll < 0.12 and NICKS.get(first.lower()):
        first = r.choice(NICKS[first.lower()]).title(); noise.append("nickname")
    elif roll < 0.24:
        surname = typo(r, surname); noise.append("surname_typo")
    elif roll < 0.32:
        first = typo(r, first); noise.append("forename_typo")
    elif roll < 0.40:
        first = first[0] + "."; noise.append("initial")
    elif roll < 0.44 and NICKS.get(first.lower()):
        first = r.choice(NICKS[first.lower()]).title(); surname = typo(r, surname)
        noise += ["nickname", "surname_typo"]
    name_style = r.random()
    if name_style < 0.08 and "." not in first:
        name = f"{surname.upper()}, {first}"; noise.append("surname_first")
    elif name_style < 0.13 and "." not in first:
        name = f"{surname} {first}"; noise.append("swapped_order")
    elif name_style < 0.18:
        name = f"{surname.upper()} {first}"; noise.append("caps_surname_first")
    else:
        name = f"{first} {surname}"
    if not noise:
        noise.append("clean_name")
    fields["name"] = name

    d = date.fromisoformat(nom["dob"])
    support = False
    roll = r.random()
    if roll < 0.45:
        fields["dob"] = dob_text(r, d); support = True
    elif roll < 0.52 and d.day <= 12 and d.day != d.month:
        fields["dob"] = dob_text(r, date(d.year, d.day, d.month)); noise.append("dob_swapped"); support = True
    elif roll < 0.58:
        iso = d.strftime("%Y%m%d")
        for _ in range(20):
            i = r.choice((3, 5, 7, 6))
            cand = iso[:i] + str(r.randint(0, 9)) + iso[i + 1:]
            try:
                fields["dob"] = dob_text(r, date(int(cand[:4]), int(cand[4:6]), int(cand[6:])))
                break
            except ValueError:
                continue
        noise.append("dob_typo"); support = True
    elif roll < 0.62 and d.day > 9 and str(d.day)[0] != str(d.day)[1]:
        fields["dob"] = f"{str(d.day)[::-1]}/{d.month:02d}/{d.year}" if int(str(d.day)[::-1]) <= 28 else dob_text(r, d)
        noise.append("dob_transposed"); support = True
    elif roll < 0.72:
        age = REF_DATE.year - d.year - ((REF_DATE.month, REF_DATE.day) < (d.month, d.day))
        fields["age"] = age; noise.append("age_only")
    else:
        noise.append("dob_missing")

    roll = r.random()
    if roll < 0.45:
        fields["postcode"] = loose_postcode(r, nom["postcode"]); fields["address"] = nom["address"]
        support = True
        noise.append("postcode")
    elif roll < 0.52:
        fields["postcode"] = w.postcode(); fields["address"] = w.address(); noise.append("moved_address")
    if nom["vrms"] and r.random() < 0.35:
        fields["vrm"], kind = loose_vrm(r, r.choice(nom["vrms"].split(";"))); noise.append(kind); support = True
    if nom["phones"] and r.random() < 0.35:
        fields["phone"] = loose_phone(r, r.choice(nom["phones"].split(";"))); noise.append("phone"); support = True
    return fields, noise, support


def stranger(w: World) -> dict:
    first, _, surname = w.person()
    f = {"name": f"{first} {surname}", "dob": dob_text(w.r, w.dob())}
    if w.r.random() < 0.5:
        f["postcode"] = w.postcode(); f["address"] = w.address()
    if w.r.random() < 0.2:
        f["phone"] = w.phone()
    if w.r.random() < 0.15:
        f["vrm"] = w.vrm()
    return f


# --- free text --------------------------------------------------------------------------

def title_for(r):
    return r.choice(("Mr", "Mrs", "Ms", "Miss", ""))


def render_text(w: World, f: dict) -> str:
    """A partner answer containing the fields, in one of several house styles."""
    r = w.r
    name = f["name"]
    t = title_for(r) if "," not in name and not name.split()[0].isupper() and r.random() < 0.4 else ""
    person = f"{t} {name}".strip()
    if "dob" in f:
        dob_bit = r.choice((f" (dob {f['dob']})", f", DOB {f['dob']},", f", born {f['dob']},", f" ({f['dob']})"))
    elif "age" in f:
        dob_bit = r.choice((f", aged {f['age']},", f" ({f['age']} years old)", f", age {f['age']},"))
    else:
        dob_bit = ""
    addr = ""
    if "postcode" in f:
        a = f.get("address", "")
        street, _, town = a.partition(", ")
        parts = street.split()
        if parts and parts[-1] in STREET_ABBR and r.random() < 0.4:
            street = " ".join(parts[:-1] + [STREET_ABBR[parts[-1]]])
        addr = r.choice((f"{street}, {town} {f['postcode']}", f"{street}, {f['postcode']}", f"{f['postcode']}"))
    extras = []
    if "phone" in f:
        extras.append(r.choice((f"Mobile {f['phone']}.", f"Contact number given as {f['phone']}.",
                                f"Tel: {f['phone']}.")))
    if "vrm" in f:
        extras.append(r.choice((f"Vehicle on drive {f['vrm']}.", f"Seen driving {f['vrm']}.",
                                f"Registered keeper of {f['vrm']}.")))
    style = r.randrange(6)
    if style == 0 and addr:
        body = f"The tenant at {addr}, {person}{dob_bit} keeps dogs at the property."
    elif style == 1:
        body = f"{person}{dob_bit} is known to us." + (f" Last address held {addr}." if addr else "")
    elif style == 2 and addr:
        body = f"RSPCA attended {addr} re welfare complaint. Occupant gave name as {person}{dob_bit}."
    elif style == 3:
        body = f"We hold a housing record for {person}{dob_bit}" + (f" of {addr}." if addr else ".")
    elif style == 4:
        body = f"Our records show {person}{dob_bit} registered with the practice" + (f", address {addr}." if addr else ".")
    else:
        body = f"Re your request: {person}{dob_bit} is a client of this service" + (f", living at {addr}." if addr else ".")
    extra = " ".join(extras)
    tail = ""
    if r.random() < 0.2:
        o_first, _, o_sur = w.person()
        tail = r.choice((f" Reported by neighbour {r.choice(('Mrs', 'Mr'))} {o_first} {o_sur}.",
                         f" Case officer: {o_first} {o_sur}.", f" Please contact {o_first} {o_sur} for further detail."))
    return f"{body} {extra}{tail}".strip()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--nominals", type=int, default=36_953)
    ap.add_argument("--mentions", type=int, default=100_000)
    ap.add_argument("--true-share", type=float, default=0.30)
    ap.add_argument("--text-share", type=float, default=0.45)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args()
    w = World(args.seed)
    r = w.r
    args.out.mkdir(parents=True, exist_ok=True)
    noms = make_nominals(w, args.nominals)
    cols = ["nominal_id", "forenames", "surname", "aliases", "dob", "address", "postcode", "vrms",
            "phones", "ocg_ref", "role", "businesses"]
    with open(args.out / "nominals.csv", "w", newline="") as fh:
        wr = csv.DictWriter(fh, fieldnames=cols)
        wr.writeheader()
        wr.writerows(noms)
    # Names shared by several nominals: the pool for "stranger with a common name".
    by_name: dict[str, list[dict]] = {}
    for n in noms:
        by_name.setdefault(f"{n['forenames'].split()[0]} {n['surname']}", []).append(n)
    common = [k for k, v in by_name.items() if len(v) >= 2]
    households: dict[tuple[str, str], list[dict]] = {}
    for n in noms:
        households.setdefault((n["address"], n["postcode"]), []).append(n)

    with open(args.out / "mentions.jsonl", "w") as mf, open(args.out / "labels.jsonl", "w") as lf:
        for i in range(args.mentions):
            label: dict = {"mention_id": f"M{i:06d}", "nominal_id": None, "associate_of": None}
            roll = r.random()
            if roll < args.true_share:
                nom = r.choice(noms)
                fields, noise, support = true_mention(w, nom)
                label.update(nominal_id=nom["nominal_id"], kind="true", noise=noise, support=support)
            else:
                kind = r.choices(("stranger", "same_name_other_dob", "relative", "common_name"),
                                 (0.5, 0.17, 0.16, 0.17))[0]
                if kind == "stranger":
                    fields = stranger(w)
                elif kind == "same_name_other_dob":
                    nom = r.choice(noms)
                    fields = stranger(w)
                    fields["name"] = f"{nom['forenames'].split()[0]} {nom['surname']}"
                    label["near"] = nom["nominal_id"]
                elif kind == "relative":
                    nom = r.choice(noms)
                    sex = r.choice("MF")
                    first = w.person(sex)[0]
                    # A relative is someone the register does not hold: not the nominal, nor
                    # another nominal of the household (family OCGs), nor an alias of either.
                    # (Before this check the "relative" could be a household member on the
                    # register, labelled as a stranger to it.)
                    taken = {t.lower() for h in households[(nom["address"], nom["postcode"])]
                             for t in [h["forenames"].split()[0]] + [a.split()[0] for a in h["aliases"].split(";") if a]}
                    while first.lower() in taken or any(
                            set(NICKS.get(first.lower(), [])) & set(NICKS.get(t, [])) for t in taken):
                        first = w.person(sex)[0]
                    fields = {"name": f"{first} {nom['surname']}", "postcode": loose_postcode(r, nom["postcode"]),
                              "address": nom["address"]}
                    if r.random() < 0.6:
                        fields["dob"] = dob_text(r, w.dob())
                    label["associate_of"] = nom["nominal_id"]
                else:
                    fields = stranger(w)
                    fields["name"] = r.choice(common)
                label.update(kind=kind, noise=[kind], support=False)
            fmt = "text" if r.random() < args.text_share else "structured"
            label["format"] = fmt
            mention = {"mention_id": label["mention_id"], "agency": r.choice(("council", "rspca", "housing", "health", "dwp"))}
            if fmt == "text":
                mention["text"] = render_text(w, fields)
            else:
                mention["text"] = r.choice(("Known to us, details attached.", "Subject details as held.", ""))
                for k in ("name", "dob", "address", "postcode", "vrm", "phone"):
                    if k in fields:
                        mention[k] = fields[k]
                if "age" in fields:  # a "DOB/age" spreadsheet column
                    mention["dob"] = f"aged {fields['age']}"
            mf.write(json.dumps(mention) + "\n")
            lf.write(json.dumps(label) + "\n")
    (args.out / "meta.json").write_text(json.dumps({"ref_date": REF_DATE.isoformat(), "seed": args.seed,
                                                    "nominals": args.nominals, "mentions": args.mentions}))
    print(f"wrote {args.nominals} nominals and {args.mentions} mentions to {args.out}")


if __name__ == "__main__":
    main()
