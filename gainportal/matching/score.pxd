# C types for score.py when Cython compiles it (setup.py); the .py is the source and runs
# unchanged without them. Doubles that hold Python floats (the same IEEE arithmetic;
# setup.py turns off fused multiply-add) and str arguments that are always str.
cimport cython

# The comparison forms as extension types: the typed functions below read their fields as
# struct members. Field types are what the .py always stores (strings for the compact DOB,
# postcode and address key, tuples for names and weights); the rest stay Python objects.
cdef class NominalView:
    cdef public str nominal_id
    cdef public tuple names
    cdef public object dob
    cdef public str dob_s, postcode, address_key
    cdef public object vrms, vrm_keys, phones, businesses, record
    cdef public tuple bits
    cdef readonly str sector, district

cdef class MentionView:
    cdef public tuple pairs
    cdef public object dob
    cdef public str dob_s, dob_sw, postcode, address_key
    cdef public object vrms, vrm_keys, phones, businesses, sur_bits, dob_near
    cdef readonly str sector, district

cpdef str dob_level_s(m, str n_s, str m_s, str m_sw)

cpdef tuple _postcode_parts(postcode)

@cython.locals(la=cython.Py_ssize_t, lb=cython.Py_ssize_t, na=cython.Py_ssize_t, nb=cython.Py_ssize_t,
               m=cython.Py_ssize_t, c=cython.Py_UCS4, lim=cython.Py_ssize_t, p=cython.Py_ssize_t,
               ub=cython.double, one=cython.ulonglong, ma=cython.ulonglong, mb=cython.ulonglong)
cpdef bint _jw_below(str a, str b, double cut)

# Direct C calls from best_name() and below_every_tier(); the memo lookups in C.
@cython.locals(levels=dict, memo=dict, level=str)
cpdef str surname_level(a, b)
@cython.locals(levels=dict, memo=dict, level=str)
cpdef str forename_level(a, b)

# First-time levels: direct C calls on str arguments (the callers only pass names in
# comparison form, always str), name memos read as dicts.
@cython.locals(groups=dict)
cpdef frozenset _nick_group(str name)
@cython.locals(variants=dict)
cpdef tuple _variants(str surname)
@cython.locals(va=tuple, vb=tuple, a0=str, b0=str)
cpdef str _surname_level(str a, str b)
@cython.locals(full=str, init=str, ga=frozenset, gb=frozenset)
cpdef str _forename_level(str a, str b)
cpdef bint _one_slip(str a, str b)
cpdef str _mc(str s)

@cython.locals(best_w=cython.double, w=cython.double, sur_bits=cython.double, fore_bits=cython.double,
               a=cython.double, b=cython.double, c=cython.double, d=cython.double)
cpdef tuple best_name(pairs, NominalView view, index, m_sur_bits=*)

@cython.locals(w_ub=cython.double, w=cython.double, other=cython.double, sur_bits=cython.double,
               fore_bits=cython.double, c=cython.double, d=cython.double)
cpdef bint below_every_tier(MentionView m, NominalView view, double m_sur_bits)

@cython.locals(score=cython.double, w=cython.double)
cpdef tuple score_candidate(MentionView m, NominalView view, index, name=*)

@cython.locals(j=cython.Py_ssize_t, nv=NominalView, bn=tuple)
cpdef list score_positions(ids, MentionView m, list views, dict best, index, bint skip_hopeless)
