# C types for score.py when Cython compiles it (setup.py); the .py is the source and runs
# unchanged without them. Only doubles that hold Python floats (the same IEEE arithmetic;
# setup.py turns off fused multiply-add) and str arguments that are always str.
cimport cython

cpdef str dob_level_s(m, str n_s, str m_s, str m_sw)

@cython.locals(best_w=cython.double, w=cython.double, sur_bits=cython.double, fore_bits=cython.double,
               a=cython.double, b=cython.double, c=cython.double, d=cython.double)
cpdef tuple best_name(pairs, view, index, m_sur_bits=*)

@cython.locals(w_ub=cython.double, w=cython.double, other=cython.double, sur_bits=cython.double,
               fore_bits=cython.double, c=cython.double, d=cython.double)
cpdef bint below_every_tier(m, view, double m_sur_bits)

@cython.locals(score=cython.double, w=cython.double)
cpdef tuple score_candidate(m, view, index, name=*)
