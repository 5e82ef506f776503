# C types for index.py when Cython compiles it (setup.py); the .py is the source and runs
# unchanged without them. The DOB buffers are bytearrays the caller keeps alive, read through
# raw pointers (offsets below 8 * register size, as the .py guarantees); counts are C-sized.
cimport cython

@cython.locals(j=cython.Py_ssize_t, o=cython.Py_ssize_t, k=cython.Py_ssize_t, p=cython.Py_ssize_t, q=cython.Py_ssize_t,
               diff=cython.int, has_sw=cython.bint, same=cython.bint,
               b=cython.p_uchar, dp=cython.p_uchar, sp=cython.p_uchar)
cpdef list _dob_allowed_among(lists, bytearray db, bytearray dk, bytearray sk,
                              str postcode, list postcodes, str address_key, list address_keys)
