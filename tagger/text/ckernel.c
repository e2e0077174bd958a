/* The compiled kernel of tagger.text: the loops NumPy can only do as many passes.
 *
 * Plain C with the CPython API, no NumPy headers: the callers (tokens.py, lookup.py)
 * allocate NumPy arrays and pass them in; this file reads and writes them through the
 * buffer protocol. Every function computes exactly what the NumPy code beside it
 * computes (tests compare the two): the same tables, the same hashes modulo 2**64, the
 * same probe sequences. Integer arithmetic only, so no compiler flag can change a bit.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

/* A buffer of `count` items of `itemsize` bytes, writable if asked. */
static int
get_buffer(PyObject *obj, Py_buffer *view, Py_ssize_t itemsize, int writable, const char *what)
{
    if (PyObject_GetBuffer(obj, view, PyBUF_C_CONTIGUOUS | (writable ? PyBUF_WRITABLE : 0)) < 0)
        return -1;
    if (view->len % itemsize != 0) {
        PyErr_Format(PyExc_ValueError, "%s: items of %zd bytes expected", what, itemsize);
        PyBuffer_Release(view);
        return -1;
    }
    return 0;
}

static int
check_room(Py_buffer *view, Py_ssize_t itemsize, Py_ssize_t needed, const char *what)
{
    if (view->len / itemsize < needed) {
        PyErr_Format(PyExc_ValueError, "%s: room for %zd items needed", what, needed);
        return -1;
    }
    return 0;
}

#define WORD 1u
#define SPECIAL_I 0x130u   /* the two characters a table cannot lower (tokens.py's _SPECIAL) */
#define SPECIAL_SIGMA 0x3a3u

typedef struct {
    const uint32_t *packed;  /* per code point: lower << 8 | class bits */
    uint64_t q;              /* the hash's base, Q */
    int lower;               /* hash the lower case (1) or the code points as written (0) */
    uint32_t *lower_out;
    uint8_t *classes_out;
    int64_t *starts, *ends, *doc;
    uint64_t *hashes;
    Py_ssize_t n_tokens, capacity;
    int special;             /* lowering, saw a character of _SPECIAL */
} Scan;

/* A run of word characters [start, end) ends: a token if two characters or more. */
static inline int
emit(Scan *s, Py_ssize_t start, Py_ssize_t end, int64_t d, uint64_t h)
{
    if (end - start < 2)
        return 0;
    if (s->n_tokens >= s->capacity) {
        PyErr_SetString(PyExc_ValueError, "more tokens than room for them");
        return -1;
    }
    s->starts[s->n_tokens] = start;
    s->ends[s->n_tokens] = end;
    s->doc[s->n_tokens] = d;
    s->hashes[s->n_tokens] = h;
    s->n_tokens++;
    return 0;
}

/* One text of `kind` (1, 2 or 4 bytes a code point), at position `at` of the chunk;
 * inlined for each kind, so that reading a code point is one load. */
static inline __attribute__((always_inline)) int
scan_kind(Scan *s, const void *data, const int kind, Py_ssize_t length, Py_ssize_t at, int64_t d)
{
    const uint32_t *packed = s->packed;
    uint32_t *lower_out = s->lower_out + at;
    uint8_t *classes_out = s->classes_out + at;
    const uint64_t q = s->q;
    uint64_t h = 0, qk = 1;
    uint32_t special = 0;
    Py_ssize_t run = -1;  /* where the current run of word characters started, or -1 */
    for (Py_ssize_t i = 0; i < length; i++) {
        uint32_t cp = kind == 1 ? ((const uint8_t *)data)[i]
                    : kind == 2 ? ((const uint16_t *)data)[i] : ((const uint32_t *)data)[i];
        uint32_t p = packed[cp];
        lower_out[i] = p >> 8;
        classes_out[i] = (uint8_t)p;
        if (kind != 1)
            special |= (cp == SPECIAL_I) | (cp == SPECIAL_SIGMA);
        if (p & WORD) {
            if (run < 0) {
                run = i;
                h = 0;
                qk = 1;
            }
            h += (uint64_t)(s->lower ? (p >> 8) : cp) * qk;  /* modulo 2**64, as NumPy's */
            qk *= q;
        }
        else if (run >= 0) {
            if (emit(s, at + run, at + i, d, h) < 0)
                return -1;
            run = -1;
        }
    }
    if (run >= 0 && emit(s, at + run, at + length, d, h) < 0)
        return -1;
    s->special |= s->lower & (special != 0);
    return 0;
}

static int
scan_text(Scan *s, PyObject *text, Py_ssize_t at, int64_t d)
{
    const void *data = PyUnicode_DATA(text);
    Py_ssize_t length = PyUnicode_GET_LENGTH(text);
    switch (PyUnicode_KIND(text)) {
    case PyUnicode_1BYTE_KIND:
        return scan_kind(s, data, 1, length, at, d);
    case PyUnicode_2BYTE_KIND:
        return scan_kind(s, data, 2, length, at, d);
    default:
        return scan_kind(s, data, 4, length, at, d);
    }
}

PyDoc_STRVAR(scan_doc,
"scan(texts, packed, q, lower, lower_out, classes_out, starts, ends, doc, hashes)\n--\n\n"
"One pass over the texts' code points: each character's lower case and class (by the\n"
"packed table) into the chunk arrays, the texts joined by a line break with one before\n"
"the first and after the last, and each word token's start, end, document and hash\n"
"(sum of c_k * q**k modulo 2**64, c_k its lower-case code points, or as written).\n"
"Returns (number of tokens, whether a character the table cannot lower was seen).");

static PyObject *
scan(PyObject *self, PyObject *args)
{
    PyObject *texts, *objs[8];
    unsigned long long q;
    int lower;
    if (!PyArg_ParseTuple(args, "OOKpOOOOOO", &texts, &objs[0], &q, &lower, &objs[1], &objs[2],
                          &objs[3], &objs[4], &objs[5], &objs[6]))
        return NULL;
    if (!PyList_Check(texts)) {
        PyErr_SetString(PyExc_TypeError, "texts: a list of str expected");
        return NULL;
    }
    static const Py_ssize_t sizes[7] = {4, 4, 1, 8, 8, 8, 8};
    static const char *names[7] = {"packed", "lower_out", "classes_out", "starts", "ends", "doc", "hashes"};
    Py_buffer views[7];
    int got = 0;
    PyObject *result = NULL;
    for (; got < 7; got++)
        if (get_buffer(objs[got], &views[got], sizes[got], got > 0, names[got]) < 0)
            goto done;
    Py_ssize_t n = PyList_GET_SIZE(texts), total = 1;
    for (Py_ssize_t d = 0; d < n; d++) {
        PyObject *t = PyList_GET_ITEM(texts, d);
        if (!PyUnicode_Check(t)) {
            PyErr_SetString(PyExc_TypeError, "texts: a list of str expected");
            goto done;
        }
        total += PyUnicode_GET_LENGTH(t) + 1;
    }
    if (check_room(&views[0], 4, 0x110000, "packed") < 0 ||
        check_room(&views[1], 4, total, "lower_out") < 0 ||
        check_room(&views[2], 1, total, "classes_out") < 0)
        goto done;
    Scan s = {views[0].buf, (uint64_t)q, lower, views[1].buf, views[2].buf, views[3].buf,
              views[4].buf, views[5].buf, views[6].buf, 0, 0, 0};
    s.capacity = views[3].len / 8;
    for (int k = 4; k < 7; k++)
        if (views[k].len / 8 < s.capacity)
            s.capacity = views[k].len / 8;
    const uint32_t sep = s.packed['\n'];
    Py_ssize_t at = 0;
    s.lower_out[at] = sep >> 8;
    s.classes_out[at++] = (uint8_t)sep;
    for (Py_ssize_t d = 0; d < n; d++) {
        PyObject *t = PyList_GET_ITEM(texts, d);
        if (scan_text(&s, t, at, d) < 0)
            goto done;
        at += PyUnicode_GET_LENGTH(t);
        s.lower_out[at] = sep >> 8;
        s.classes_out[at++] = (uint8_t)sep;
    }
    result = Py_BuildValue("(nO)", s.n_tokens, s.special ? Py_True : Py_False);
done:
    while (got-- > 0)
        PyBuffer_Release(&views[got]);
    return result;
}

#define MULTIPLIER 0x9E3779B97F4A7C15ull  /* lookup.py's _MULTIPLIER */

typedef struct {
    const uint64_t *slot_keys;
    const int64_t *slot_pos;
    int bits;
    int max_probes;
    const uint64_t *stash;
    const int64_t *stash_order;
    Py_ssize_t n_stash;
} Table;

/* The position of `key`, or -1: its probes in the table, then the stash if every probe
 * met another key (KeyIndex.get_indexer's rounds, for one key). */
static inline int64_t
find(const Table *t, uint64_t key)
{
    uint64_t mask = ((uint64_t)1 << t->bits) - 1;
    uint64_t slot = (key * MULTIPLIER) >> (64 - t->bits);
    for (int probe = 0; probe < t->max_probes; probe++) {
        int64_t pos = t->slot_pos[slot];
        if (pos < 0)
            return -1;
        if (t->slot_keys[slot] == key)
            return pos;
        slot = (slot + 1) & mask;
    }
    Py_ssize_t lo = 0, hi = t->n_stash;  /* the first stash key >= key */
    while (lo < hi) {
        Py_ssize_t mid = lo + (hi - lo) / 2;
        if (t->stash[mid] < key)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < t->n_stash && t->stash[lo] == key ? t->stash_order[lo] : -1;
}

PyDoc_STRVAR(lookup_doc,
"lookup(slot_keys, slot_pos, bits, max_probes, stash, stash_order, query, out)\n--\n\n"
"For each query key, its position by KeyIndex's table (or -1), into out.");

static PyObject *
lookup(PyObject *self, PyObject *args)
{
    PyObject *objs[6];
    int bits, max_probes;
    if (!PyArg_ParseTuple(args, "OOiiOOOO", &objs[0], &objs[1], &bits, &max_probes, &objs[2],
                          &objs[3], &objs[4], &objs[5]))
        return NULL;
    static const char *names[6] = {"slot_keys", "slot_pos", "stash", "stash_order", "query", "out"};
    Py_buffer views[6];
    int got = 0;
    PyObject *result = NULL;
    for (; got < 6; got++)
        if (get_buffer(objs[got], &views[got], 8, got == 5, names[got]) < 0)
            goto done;
    if (bits < 1 || bits > 62 || max_probes < 1) {
        PyErr_SetString(PyExc_ValueError, "bits or max_probes out of range");
        goto done;
    }
    Py_ssize_t n = views[4].len / 8;
    if (check_room(&views[0], 8, (Py_ssize_t)1 << bits, "slot_keys") < 0 ||
        check_room(&views[1], 8, (Py_ssize_t)1 << bits, "slot_pos") < 0 ||
        check_room(&views[3], 8, views[2].len / 8, "stash_order") < 0 ||
        check_room(&views[5], 8, n, "out") < 0)
        goto done;
    Table t = {views[0].buf, views[1].buf, bits, max_probes, views[2].buf, views[3].buf,
               views[2].len / 8};
    const uint64_t *query = views[4].buf;
    int64_t *out = views[5].buf;
    Py_BEGIN_ALLOW_THREADS
    for (Py_ssize_t i = 0; i < n; i++)
        out[i] = find(&t, query[i]);
    Py_END_ALLOW_THREADS
    result = Py_NewRef(Py_None);
done:
    while (got-- > 0)
        PyBuffer_Release(&views[got]);
    return result;
}

static PyMethodDef methods[] = {
    {"scan", scan, METH_VARARGS, scan_doc},
    {"lookup", lookup, METH_VARARGS, lookup_doc},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "tagger.text.ckernel",
    "The compiled kernel of tagger.text (ckernel.c): tokens and key lookups in one pass.",
    -1, methods,
};

PyMODINIT_FUNC
PyInit_ckernel(void)
{
    return PyModule_Create(&module);
}
