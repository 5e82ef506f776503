# C types for extract.py when Cython compiles it (setup.py); see score.pxd.
cimport cython

@cython.locals(s=Py_ssize_t, e=Py_ssize_t)
cpdef bint _overlaps(Py_ssize_t start, Py_ssize_t end, list taken)
