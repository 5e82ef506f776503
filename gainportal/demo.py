"""Demo data: a force, a ROCU, six partner agencies, a user of every role, operations.

Passwords and TOTP secrets are fixed so a demo audience (and the browser tests) can sign
in; they are printed once and must never be used outside a demo instance.
"""
from __future__ import annotations

from sqlalchemy import select

from gainportal.db import db_session
from gainportal.models import Agency, AgencyKind, Classification, Clearance, Operation, Role
from gainportal.services import accounts

DEMO_PASSWORD = "harbour-lantern-velvet"

AGENCIES = [
    ("West Yorkshire Police", "WYP", AgencyKind.POLICE_FORCE),
    ("North Yorkshire Police", "NYP", AgencyKind.POLICE_FORCE),
    ("Yorkshire and the Humber ROCU", "YHROCU", AgencyKind.ROCU),
    ("Leeds City Council", "LEEDS-CC", AgencyKind.COUNCIL),
    ("Leeds Teaching Hospitals NHS Trust", "LTHT", AgencyKind.HEALTH),
    ("RSPCA", "RSPCA", AgencyKind.RSPCA),
    ("Leeds Housing Partnership", "LHP", AgencyKind.HOUSING),
    ("West Yorkshire Fire and Rescue Service", "WYFRS", AgencyKind.FIRE),
    ("Leeds Schools Safeguarding Team", "LSST", AgencyKind.EDUCATION),
]

# email, name, agency code, role, clearance, fixed base32 TOTP secret
USERS = [
    ("admin@wyp.example.police.uk", "Alex Morgan", "WYP", Role.ADMIN, Clearance.SC, "JBSWY3DPEHPK3PXPADMINAAAAAAAAAAA"),
    ("lro@wyp.example.police.uk", "DI Sam Patel", "WYP", Role.LRO, Clearance.SC, "JBSWY3DPEHPK3PXPLROAAAAAAAAAAAAA"),
    ("analyst@wyp.example.police.uk", "Jo Whitaker", "WYP", Role.ANALYST, Clearance.SC, "JBSWY3DPEHPK3PXPANALYSTAAAAAAAAA"),
    ("gain@yhrocu.example.police.uk", "Chris Ellison", "YHROCU", Role.GAIN_COORDINATOR, Clearance.SC, "JBSWY3DPEHPK3PXPGAINAAAAAAAAAAAA"),
    ("supervisor@wyp.example.police.uk", "DCI Ruth Adeyemi", "WYP", Role.SUPERVISOR, Clearance.DV, "JBSWY3DPEHPK3PXPSUPERVAAAAAAAAAA"),
    ("spoc@leeds-cc.example.gov.uk", "Priya Shah", "LEEDS-CC", Role.PARTNER_SPOC, Clearance.BPSS, "JBSWY3DPEHPK3PXPSPOCCOUNCILAAAAA"),
    ("officer@leeds-cc.example.gov.uk", "Tom Brennan", "LEEDS-CC", Role.PARTNER_USER, Clearance.BPSS, "JBSWY3DPEHPK3PXPUSERCOUNCILAAAAA"),
    ("spoc@rspca.example.org.uk", "Helen Carter", "RSPCA", Role.PARTNER_SPOC, Clearance.BPSS, "JBSWY3DPEHPK3PXPSPOCRSPCAAAAAAAA"),
    ("spoc@lhp.example.org.uk", "Marcus Reid", "LHP", Role.PARTNER_SPOC, Clearance.BPSS, "JBSWY3DPEHPK3PXPSPOCHOUSINGAAAAA"),
    ("spoc@wyfrs.example.gov.uk", "Aisha Khan", "WYFRS", Role.PARTNER_SPOC, Clearance.BPSS, "JBSWY3DPEHPK3PXPSPOCFIREAAAAAAAA"),
    ("spoc@ltht.example.nhs.uk", "Dr Owen Price", "LTHT", Role.PARTNER_SPOC, Clearance.BPSS, "JBSWY3DPEHPK3PXPSPOCHEALTHAAAAAA"),
    ("spoc@lsst.example.gov.uk", "Grace Obi", "LSST", Role.PARTNER_SPOC, Clearance.BPSS, "JBSWY3DPEHPK3PXPSPOCSCHOOLSAAAAA"),
]

OPERATIONS = [
    ("OP-WYP-0417", "Operation Kestrel", "WYP", "lro@wyp.example.police.uk", Classification.OFFICIAL_SENSITIVE),
    ("OP-WYP-0522", "Operation Larkspur", "WYP", "lro@wyp.example.police.uk", Classification.SECRET),
]


def seed(echo=print, force: bool = False) -> bool:
    s = db_session()
    if s.scalar(select(Agency).where(Agency.code == "WYP")) and not force:
        echo("Demo data already present; nothing to do (use --force to add anyway).")
        return False
    agencies = {}
    for name, code, kind in AGENCIES:
        agencies[code] = Agency(name=name, code=code, kind=kind)
        s.add(agencies[code])
    s.flush()
    users = {}
    for email, name, code, role, clearance, secret in USERS:
        users[email] = accounts.create_user_direct(
            s, email=email, full_name=name, agency=agencies[code], role=role, clearance=clearance,
            password=DEMO_PASSWORD, totp_secret=secret, check_policy=False)
    for reference, name, code, lro_email, classification in OPERATIONS:
        s.add(Operation(reference=reference, name=name, owning_agency_id=agencies[code].id,
                        lro_id=users[lro_email].id, classification=classification))
    s.commit()
    echo("Demo data loaded. Every demo account uses the password: " + DEMO_PASSWORD)
    echo("Add the TOTP secret to an authenticator app (or: python -c \"import pyotp; print(pyotp.TOTP('SECRET').now())\")")
    for email, _name, code, role, _clearance, secret in USERS:
        echo(f"  {role.value:17} {email:36} {secret}")
    return True
