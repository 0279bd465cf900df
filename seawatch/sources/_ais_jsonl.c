/* JSON Lines from decoded AIS columns (`seawatch decode`): one line per record, in the order asked.
 *
 * encode(groups, which, row, lo, hi, out) appends records lo..hi-1 to the bytearray `out` and returns
 * its new length. Record i is row `row[i]` of group `which[i]`. A group is a tuple of fields, each a
 * tuple (prefix, kind, data, aux): `prefix` is the JSON text before the value (`{"msg_type":` for the
 * first field, `,"mmsi":` after), written as is; the value comes from `data` by `kind`:
 *   0 NULL   null
 *   1 ARRAY  a 1-d numpy array (any integer width, bool or float)
 *   2 LIST   a list of str, bytes (as hex text), bool, int, float or None
 *   3 CODES  a 1-d integer array of indexes into `aux`, a list of bytes already JSON
 *   4 CONST  nothing: the prefix holds the whole text
 *   5 LINES  `data` is a list of bytes, each a whole record already JSON (the group has this field only)
 * A record ends with `}\n` (LINES: `\n`). Floats are written with the fewest decimals that read back
 * to the same double (Python's repr where that needs an exponent); NaN and infinities as null.
 * Values equal what orjson writes for the same record (tests/sources/test_decode_columnar.py).
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

enum { K_NULL = 0, K_ARRAY = 1, K_LIST = 2, K_CODES = 3, K_CONST = 4, K_LINES = 5 };

#define SHORT 32 /* a prefix this short is copied as one fixed-size block */

typedef struct {
    const char *prefix;
    Py_ssize_t prefix_len;
    char short_prefix[SHORT]; /* the prefix, zero padded, when it is at most SHORT bytes */
    int kind;
    char type;  /* ARRAY/CODES: the buffer's format letter */
    Py_buffer view;
    int has_view;
    PyObject *data; /* borrowed */
    PyObject *aux;  /* borrowed */
    int hint;       /* decimals the last float needed */
} Field;

typedef struct {
    Field *fields;
    Py_ssize_t n;
    Py_ssize_t rows; /* the shortest field's length: rows 0..rows-1 can be written */
} Group;

typedef struct {
    PyObject *out; /* bytearray */
    char *p;       /* write position */
    char *end;
} Out;

static int reserve(Out *o, Py_ssize_t need) {
    if (o->end - o->p >= need) return 0;
    char *base = PyByteArray_AS_STRING(o->out);
    Py_ssize_t used = o->p - base;
    Py_ssize_t cap = PyByteArray_GET_SIZE(o->out);
    Py_ssize_t want = cap * 2 > used + need ? cap * 2 : used + need + (1 << 20);
    if (PyByteArray_Resize(o->out, want) < 0) return -1;
    base = PyByteArray_AS_STRING(o->out);
    o->p = base + used;
    o->end = base + want;
    return 0;
}

static const char DIGITS2[] =
    "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
    "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
    "8081828384858687888990919293949596979899";

static char *put_u64(char *p, uint64_t v) {
    char tmp[24];
    char *t = tmp + sizeof tmp;
    while (v >= 100) {
        unsigned r = (unsigned)(v % 100);
        v /= 100;
        t -= 2;
        memcpy(t, DIGITS2 + 2 * r, 2);
    }
    if (v >= 10) {
        t -= 2;
        memcpy(t, DIGITS2 + 2 * v, 2);
    } else {
        *--t = (char)('0' + v);
    }
    size_t n = (size_t)(tmp + sizeof tmp - t);
    memcpy(p, t, n);
    return p + n;
}

static char *put_i64(char *p, int64_t v) {
    if (v < 0) {
        *p++ = '-';
        return put_u64(p, (uint64_t)0 - (uint64_t)v);
    }
    return put_u64(p, (uint64_t)v);
}

static const double POW10[] = {1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9};
static const uint64_t UPOW10[] = {1ull,      10ull,      100ull,      1000ull,      10000ull,
                                  100000ull, 1000000ull, 10000000ull, 100000000ull, 1000000000ull};

/* Whether the decimal text m / 10^k (m = a * 10^k rounded) reads back as `a`: m and 10^k are exact
   doubles and IEEE division rounds correctly, so m / 10^k is exactly the double that text reads as. */
static inline int fits(double a, int k, double *m) {
    double s = a * POW10[k];
    if (s >= 9007199254740992.0) return 0;
    *m = (double)(int64_t)(s + 0.5); /* s >= 0: rounded (a rare miss at .5 only costs a decimal) */
    return *m / POW10[k] == a;
}

/* Needs 32 bytes of room (the fallback reserves its own). `*hint` is the decimals the field's last
   value needed: a column's values mostly need the same (lat/lon 6, speed 1), and if k decimals fit so
   do k + 1, so k fitting and k - 1 not is the fewest, found in two tries instead of k + 1. */
static int put_double(Out *o, double d, int *hint) {
    if (!isfinite(d)) {
        memcpy(o->p, "null", 4);
        o->p += 4;
        return 0;
    }
    double a = fabs(d);
    if (a == 0.0 || (a >= 1e-4 && a < 1e15)) {
        double m = 0.0, m_less;
        int k = *hint;
        if (!(fits(a, k, &m) && (k == 0 || !fits(a, k - 1, &m_less)))) {
            for (k = 0; k <= 9 && !fits(a, k, &m); k++) {
            }
        }
        if (k <= 9) {
            *hint = k;
            char *p = o->p;
            if (signbit(d)) *p++ = '-';
            uint64_t mi = (uint64_t)m;
            /* constant divisors for the common decimals (a multiply, not a division) */
            uint64_t q = k == 6 ? mi / 1000000 : k == 1 ? mi / 10 : mi / UPOW10[k];
            p = put_u64(p, q);
            *p++ = '.';
            if (k == 0) {
                *p++ = '0';
            } else {
                uint64_t frac = mi - q * UPOW10[k];
                int j = k;
                for (; j >= 2; j -= 2) {
                    memcpy(p + j - 2, DIGITS2 + 2 * (frac % 100), 2);
                    frac /= 100;
                }
                if (j == 1) p[0] = (char)('0' + frac);
                p += k;
            }
            o->p = p;
            return 0;
        }
    }
    char *text = PyOS_double_to_string(d, 'r', 0, Py_DTSF_ADD_DOT_0, NULL);
    if (text == NULL) return -1;
    size_t n = strlen(text);
    if (reserve(o, (Py_ssize_t)n) < 0) {
        PyMem_Free(text);
        return -1;
    }
    memcpy(o->p, text, n);
    o->p += n;
    PyMem_Free(text);
    return 0;
}

static const char HEX[] = "0123456789abcdef";

static int put_str(Out *o, PyObject *s) {
    Py_ssize_t n;
    const char *u = PyUnicode_AsUTF8AndSize(s, &n);
    if (u == NULL) return -1;
    if (reserve(o, 6 * n + 2) < 0) return -1;
    char *p = o->p;
    *p++ = '"';
    for (Py_ssize_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)u[i];
        if (c == '"' || c == '\\') {
            *p++ = '\\';
            *p++ = (char)c;
        } else if (c < 0x20) {
            *p++ = '\\';
            switch (c) {
            case '\n': *p++ = 'n'; break;
            case '\r': *p++ = 'r'; break;
            case '\t': *p++ = 't'; break;
            case '\b': *p++ = 'b'; break;
            case '\f': *p++ = 'f'; break;
            default:
                memcpy(p, "u00", 3);
                p[3] = HEX[c >> 4];
                p[4] = HEX[c & 15];
                p += 5;
            }
        } else {
            *p++ = (char)c;
        }
    }
    *p++ = '"';
    o->p = p;
    return 0;
}

static int put_object(Out *o, PyObject *v, int *hint) {
    if (v == Py_None) {
        memcpy(o->p, "null", 4);
        o->p += 4;
    } else if (v == Py_True) {
        memcpy(o->p, "true", 4);
        o->p += 4;
    } else if (v == Py_False) {
        memcpy(o->p, "false", 5);
        o->p += 5;
    } else if (PyUnicode_Check(v)) {
        return put_str(o, v);
    } else if (PyLong_Check(v)) {
        int overflow;
        long long x = PyLong_AsLongLongAndOverflow(v, &overflow);
        if (overflow) {
            PyErr_SetString(PyExc_OverflowError, "integer does not fit 64 bits");
            return -1;
        }
        if (x == -1 && PyErr_Occurred()) return -1;
        o->p = put_i64(o->p, x);
    } else if (PyFloat_Check(v)) {
        return put_double(o, PyFloat_AS_DOUBLE(v), hint);
    } else if (PyBytes_Check(v)) {
        Py_ssize_t n = PyBytes_GET_SIZE(v);
        const unsigned char *b = (const unsigned char *)PyBytes_AS_STRING(v);
        if (reserve(o, 2 * n + 2) < 0) return -1;
        char *p = o->p;
        *p++ = '"';
        for (Py_ssize_t i = 0; i < n; i++) {
            *p++ = HEX[b[i] >> 4];
            *p++ = HEX[b[i] & 15];
        }
        *p++ = '"';
        o->p = p;
    } else {
        PyErr_Format(PyExc_TypeError, "cannot write %.100s as JSON", Py_TYPE(v)->tp_name);
        return -1;
    }
    return 0;
}

/* The buffer's element at i as int64 (ARRAY integers, CODES). */
static inline const char *item(const Field *f, Py_ssize_t i) {
    return (const char *)f->view.buf + i * f->view.strides[0];
}

static int put_array(Out *o, Field *f, Py_ssize_t i) {
    const char *q = item(f, i);
    switch (f->type) {
    case '?':
        if (*(const unsigned char *)q) {
            memcpy(o->p, "true", 4);
            o->p += 4;
        } else {
            memcpy(o->p, "false", 5);
            o->p += 5;
        }
        return 0;
    case 'b': o->p = put_i64(o->p, *(const signed char *)q); return 0;
    case 'B': o->p = put_u64(o->p, *(const unsigned char *)q); return 0;
    case 'h': o->p = put_i64(o->p, *(const short *)q); return 0;
    case 'H': o->p = put_u64(o->p, *(const unsigned short *)q); return 0;
    case 'i': o->p = put_i64(o->p, *(const int *)q); return 0;
    case 'I': o->p = put_u64(o->p, *(const unsigned int *)q); return 0;
    case 'l': o->p = put_i64(o->p, *(const long *)q); return 0;
    case 'L': o->p = put_u64(o->p, *(const unsigned long *)q); return 0;
    case 'q': o->p = put_i64(o->p, *(const long long *)q); return 0;
    case 'Q': o->p = put_u64(o->p, *(const unsigned long long *)q); return 0;
    case 'f': return put_double(o, *(const float *)q, &f->hint);
    case 'd': return put_double(o, *(const double *)q, &f->hint);
    }
    PyErr_Format(PyExc_TypeError, "unsupported array type %c", f->type);
    return -1;
}

static int64_t code_at(const Field *f, Py_ssize_t i) {
    const char *q = item(f, i);
    switch (f->type) {
    case 'b': return *(const signed char *)q;
    case 'h': return *(const short *)q;
    case 'i': return *(const int *)q;
    case 'l': return *(const long *)q;
    case 'q': return *(const long long *)q;
    }
    return -1;
}

static void release(Group *groups, Py_ssize_t ng) {
    for (Py_ssize_t g = 0; g < ng; g++) {
        for (Py_ssize_t j = 0; j < groups[g].n; j++)
            if (groups[g].fields[j].has_view) PyBuffer_Release(&groups[g].fields[j].view);
        PyMem_Free(groups[g].fields);
    }
    PyMem_Free(groups);
}

static const char *INT_TYPES = "?bBhHiIlLqQfd";

static int open_field(Field *f, PyObject *spec) {
    PyObject *prefix;
    if (!PyTuple_Check(spec) || PyTuple_GET_SIZE(spec) != 4) {
        PyErr_SetString(PyExc_TypeError, "a field is (prefix, kind, data, aux)");
        return -1;
    }
    prefix = PyTuple_GET_ITEM(spec, 0);
    if (!PyBytes_Check(prefix)) {
        PyErr_SetString(PyExc_TypeError, "a field's prefix is bytes");
        return -1;
    }
    f->prefix = PyBytes_AS_STRING(prefix);
    f->prefix_len = PyBytes_GET_SIZE(prefix);
    if (f->prefix_len <= SHORT) memcpy(f->short_prefix, f->prefix, f->prefix_len);
    f->kind = (int)PyLong_AsLong(PyTuple_GET_ITEM(spec, 1));
    f->data = PyTuple_GET_ITEM(spec, 2);
    f->aux = PyTuple_GET_ITEM(spec, 3);
    if (f->kind == K_ARRAY || f->kind == K_CODES) {
        if (PyObject_GetBuffer(f->data, &f->view, PyBUF_STRIDES | PyBUF_FORMAT) < 0) return -1;
        f->has_view = 1;
        const char *fmt = f->view.format ? f->view.format : "B";
        if (*fmt == '<' || *fmt == '=' || *fmt == '@') fmt++;
        f->type = *fmt;
        if (f->view.ndim != 1 || fmt[0] == '\0' || fmt[1] != '\0' || strchr(INT_TYPES, f->type) == NULL) {
            PyErr_Format(PyExc_TypeError, "unsupported array format %s", f->view.format);
            return -1;
        }
        if (f->kind == K_CODES && (strchr("bhilq", f->type) == NULL || !PyList_Check(f->aux))) {
            PyErr_SetString(PyExc_TypeError, "codes are a signed integer array with a list of bytes");
            return -1;
        }
    } else if ((f->kind == K_LIST || f->kind == K_LINES) && !PyList_Check(f->data)) {
        PyErr_SetString(PyExc_TypeError, "a LIST or LINES field's data is a list");
        return -1;
    } else if (f->kind < K_NULL || f->kind > K_LINES) {
        PyErr_SetString(PyExc_ValueError, "unknown field kind");
        return -1;
    }
    return 0;
}

static Py_ssize_t field_len(const Field *f) {
    if (f->kind == K_ARRAY || f->kind == K_CODES) return f->view.shape[0];
    if (f->kind == K_LIST || f->kind == K_LINES) return PyList_GET_SIZE(f->data);
    return PY_SSIZE_T_MAX;
}

static int put_record(Out *o, Group *grp, Py_ssize_t r) {
    for (Py_ssize_t j = 0; j < grp->n; j++) {
        Field *f = &grp->fields[j];
        if (f->kind == K_LINES) {
            PyObject *line = PyList_GET_ITEM(f->data, r);
            if (!PyBytes_Check(line)) {
                PyErr_SetString(PyExc_TypeError, "LINES holds bytes");
                return -1;
            }
            Py_ssize_t n = PyBytes_GET_SIZE(line);
            if (reserve(o, n + 1) < 0) return -1;
            memcpy(o->p, PyBytes_AS_STRING(line), n);
            o->p += n;
            *o->p++ = '\n';
            return 0;
        }
        if (reserve(o, f->prefix_len + SHORT + 40) < 0) return -1;
        if (f->prefix_len <= SHORT)
            memcpy(o->p, f->short_prefix, SHORT); /* a constant size: a few moves, no call */
        else
            memcpy(o->p, f->prefix, f->prefix_len);
        o->p += f->prefix_len;
        switch (f->kind) {
        case K_NULL:
            memcpy(o->p, "null", 4);
            o->p += 4;
            break;
        case K_ARRAY:
            if (put_array(o, f, r) < 0) return -1;
            break;
        case K_LIST:
            if (put_object(o, PyList_GET_ITEM(f->data, r), &f->hint) < 0) return -1;
            break;
        case K_CODES: {
            int64_t c = code_at(f, r);
            if (c < 0 || c >= PyList_GET_SIZE(f->aux)) {
                PyErr_SetString(PyExc_IndexError, "code out of range");
                return -1;
            }
            PyObject *text = PyList_GET_ITEM(f->aux, c);
            if (!PyBytes_Check(text)) {
                PyErr_SetString(PyExc_TypeError, "CODES texts are bytes");
                return -1;
            }
            Py_ssize_t n = PyBytes_GET_SIZE(text);
            if (reserve(o, n) < 0) return -1;
            memcpy(o->p, PyBytes_AS_STRING(text), n);
            o->p += n;
            break;
        }
        default: /* K_CONST */
            break;
        }
    }
    if (reserve(o, 2) < 0) return -1;
    *o->p++ = '}';
    *o->p++ = '\n';
    return 0;
}

static PyObject *encode(PyObject *self, PyObject *args) {
    PyObject *groups_obj, *which_obj, *row_obj, *out;
    Py_ssize_t lo, hi;
    if (!PyArg_ParseTuple(args, "O!OOnnO!", &PyList_Type, &groups_obj, &which_obj, &row_obj, &lo, &hi,
                          &PyByteArray_Type, &out))
        return NULL;
    Py_buffer which, row;
    if (PyObject_GetBuffer(which_obj, &which, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT) < 0) return NULL;
    if (PyObject_GetBuffer(row_obj, &row, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT) < 0) {
        PyBuffer_Release(&which);
        return NULL;
    }
    PyObject *result = NULL;
    Py_ssize_t ng = PyList_GET_SIZE(groups_obj);
    Group *groups = PyMem_Calloc(ng ? ng : 1, sizeof(Group));
    Py_ssize_t opened = 0;
    if (groups == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    if (which.itemsize != 4 || row.itemsize != 8 || which.len / 4 != row.len / 8 || lo < 0 || hi < lo ||
        hi > which.len / 4) {
        PyErr_SetString(PyExc_ValueError, "which (int32) and row (int64) of one length, 0 <= lo <= hi <= n");
        goto done;
    }
    for (; opened < ng; opened++) {
        PyObject *spec = PyList_GET_ITEM(groups_obj, opened);
        if (!PyTuple_Check(spec)) {
            PyErr_SetString(PyExc_TypeError, "a group is a tuple of fields");
            goto done;
        }
        Group *g = &groups[opened];
        Py_ssize_t n = PyTuple_GET_SIZE(spec);
        g->fields = PyMem_Calloc(n ? n : 1, sizeof(Field));
        if (g->fields == NULL) {
            PyErr_NoMemory();
            goto done;
        }
        g->n = n;
        g->rows = PY_SSIZE_T_MAX;
        for (Py_ssize_t j = 0; j < n; j++) {
            if (open_field(&g->fields[j], PyTuple_GET_ITEM(spec, j)) < 0) goto done;
            Py_ssize_t len = field_len(&g->fields[j]);
            if (len < g->rows) g->rows = len;
        }
    }
    const int32_t *w = which.buf;
    const int64_t *rw = row.buf;
    Out o;
    o.out = out;
    o.p = PyByteArray_AS_STRING(out);
    o.end = o.p + PyByteArray_GET_SIZE(out);
    for (Py_ssize_t i = lo; i < hi; i++) {
        int32_t gi = w[i];
        int64_t r = rw[i];
        if (gi < 0 || gi >= ng) {
            PyErr_SetString(PyExc_IndexError, "group index out of range");
            goto done;
        }
        Group *grp = &groups[gi];
        if (r < 0 || r >= grp->rows) {
            PyErr_SetString(PyExc_IndexError, "row out of range");
            goto done;
        }
        if (put_record(&o, grp, (Py_ssize_t)r) < 0) goto done;
    }
    result = PyLong_FromSsize_t(o.p - PyByteArray_AS_STRING(out));
done:
    if (groups != NULL) release(groups, ng);
    PyBuffer_Release(&which);
    PyBuffer_Release(&row);
    return result;
}

static PyMethodDef METHODS[] = {
    {"encode", encode, METH_VARARGS,
     "encode(groups, which, row, lo, hi, out) -> bytes used: records lo..hi-1 as JSON Lines into out"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef MODULE = {PyModuleDef_HEAD_INIT, "_ais_jsonl", NULL, -1, METHODS, NULL, NULL, NULL, NULL};

PyMODINIT_FUNC PyInit__ais_jsonl(void) { return PyModule_Create(&MODULE); }
