/* Characters to tokens: each text's code points in one pass (tokens.py). */
#include "kernel.h"

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

KERNEL_DOC(word_and_space_doc,
"word_and_space(codes, out, word, space)\n--\n\n"
"For each code point, the bit word if str.isalnum or '_', or'd with space if\n"
"str.isspace, into out (by CPython's own tests of its Unicode database).");

PyObject *
word_and_space(PyObject *self, PyObject *args)
{
    PyObject *objs[2];
    unsigned char word, space;
    if (!PyArg_ParseTuple(args, "OObb", &objs[0], &objs[1], &word, &space))
        return NULL;
    static const char *names[2] = {"codes", "out"};
    static const Py_ssize_t sizes[2] = {4, 1};
    Py_buffer views[2];
    PyObject *result = NULL;
    int got = get_buffers(objs, views, 2, sizes, 1, names);
    if (got < 2 || check_room(&views[1], 1, views[0].len / 4, "out") < 0)
        goto done;
    const uint32_t *codes = views[0].buf;
    uint8_t *out = views[1].buf;
    for (Py_ssize_t i = 0; i < views[0].len / 4; i++) {
        Py_UCS4 c = codes[i] < 0x110000 ? codes[i] : 0;
        /* str.isalnum is alpha, decimal, digit or numeric; each of the last three is
         * numeric too (the Unicode database's types nest), so two tests of the four */
        out[i] = (Py_UNICODE_ISALPHA(c) || Py_UNICODE_ISNUMERIC(c) || c == '_' ? word : 0) |
                 (Py_UNICODE_ISSPACE(c) ? space : 0);
    }
    result = Py_NewRef(Py_None);
done:
    return release(views, got, result);
}

KERNEL_DOC(scan_doc,
"scan(texts, packed, q, lower, lower_out, classes_out, starts, ends, doc, hashes)\n--\n\n"
"One pass over the texts' code points: each character's lower case and class (by the\n"
"packed table) into the chunk arrays, the texts joined by a line break with one before\n"
"the first and after the last, and each word token's start, end, document and hash\n"
"(sum of c_k * q**k modulo 2**64, c_k its lower-case code points, or as written).\n"
"Returns (number of tokens, whether a character the table cannot lower was seen).");

PyObject *
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
    PyObject *result = NULL;
    int got = get_buffers(objs, views, 7, sizes, 1, names);
    if (got < 7)
        goto done;
    Py_ssize_t n = PyList_GET_SIZE(texts), total = 1;
    for (Py_ssize_t d = 0; d < n; d++) {
        PyObject *t = PyList_GET_ITEM(texts, d);
        if (!PyUnicode_Check(t)) {
            PyErr_SetString(PyExc_TypeError, "texts: a list of str expected");
            goto done;
        }
#if PY_VERSION_HEX < 0x030C0000  /* a str made by an old C API may not have its buffer yet */
        if (PyUnicode_READY(t) < 0)
            goto done;
#endif
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
    return release(views, got, result);
}
