"""The world both match-on-arrival test modules use: a register holding Gary Smith, an
analyst who may see the operation, and requests to the council (tests.cycle_factories)."""
from __future__ import annotations

from gainportal.db import db_session
from gainportal.models import Operation, Role
from gainportal.services import answer_matching, nominal_register
from tests.cycle_factories import Cycle

REGISTER = """nominal_id,forenames,surname,aliases,dob,address,postcode,vrms,phones,ocg_ref,role
N-1,Gary,Smith,Gaz,1985-04-03,14 Acacia Road,LS6 2AB,YX19KLM,07700900123,{ref},principal
"""
NAMING_GARY = "A man called Gaz Smyth (dob 3/4/85) sells puppies at 14 Acacia Rd."


def register_gary(app, make) -> Cycle:
    answer_matching.forget()
    cycle = Cycle(app, make)
    analyst = make.user(agency=cycle.force, role=Role.ANALYST)
    cycle.indoctrinate(analyst)
    with app.app_context():
        s = db_session()
        op = s.get(Operation, cycle.operation_id)
        nominal_register.import_csv(s, REGISTER.format(ref=op.reference), {op.reference: op}, s.merge(analyst),
                                    commit=True)
        s.commit()
    cycle.analyst = analyst
    return cycle
