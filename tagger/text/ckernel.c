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
#include <math.h>

/* A buffer of `count` items of `itemsize` bytes, writable if asked. */
static int
get_buffer(PyObject *obj, Py_buffer *view, Py_ssize_t itemsize, int writable, const char *what)
{
    if (PyObject_GetBuffer(obj, view, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT | (writable ? PyBUF_WRITABLE : 0)) < 0)
        return -1;
    if (view->itemsize != itemsize) {
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

/* The buffers of objs[0..count), of sizes[i]-byte items (8 if sizes is NULL), writable
 * from index `writable` on: how many were got (count, or fewer with an error set). */
static int
get_buffers(PyObject **objs, Py_buffer *views, int count, const Py_ssize_t *sizes, int writable,
            const char *const *names)
{
    for (int i = 0; i < count; i++)
        if (get_buffer(objs[i], &views[i], sizes ? sizes[i] : 8, i >= writable, names[i]) < 0)
            return i;
    return count;
}

/* The buffers of a call whose arguments are all buffers, as get_buffers. */
static int
buffer_args(PyObject *args, Py_buffer *views, int count, int writable, const char *const *names)
{
    if (PyTuple_GET_SIZE(args) != count) {
        PyErr_Format(PyExc_TypeError, "%d arguments expected", count);
        return 0;
    }
    return get_buffers(((PyTupleObject *)args)->ob_item, views, count, NULL, writable, names);
}

static PyObject *
release(Py_buffer *views, int got, PyObject *result)
{
    while (got-- > 0)
        PyBuffer_Release(&views[got]);
    return result;
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

PyDoc_STRVAR(word_and_space_doc,
"word_and_space(codes, out, word, space)\n--\n\n"
"For each code point, the bit word if str.isalnum or '_', or'd with space if\n"
"str.isspace, into out (by CPython's own tests of its Unicode database).");

static PyObject *
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
        out[i] = (Py_UNICODE_ISALNUM(c) || c == '_' ? word : 0) | (Py_UNICODE_ISSPACE(c) ? space : 0);
    }
    result = Py_NewRef(Py_None);
done:
    return release(views, got, result);
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

#define MULTIPLIER 0x9E3779B97F4A7C15ull  /* lookup.py's _MULTIPLIER */

typedef struct {
    const uint64_t *slots;  /* per slot: its key, then its position (-1: free) */
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
        int64_t pos = (int64_t)t->slots[2 * slot + 1];
        uint64_t held = t->slots[2 * slot];
        /* a free slot or the key: nearly always, at the first probe. One branch taken the
         * same way almost every time, then a select (found or not is as likely as a coin
         * toss: a branch on it was mispredicted half the time). A free slot holds 0 and
         * position -1, so key 0 meeting it gets -1. */
        if ((pos < 0) | (held == key))
            return held == key ? pos : -1;
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

/* Lookups wait on memory (a table of a large vocabulary is larger than the caches): ask
 * for the home slot of the key AHEAD places on while this one is found. */
#define AHEAD 16

static inline void
prefetch(const Table *t, uint64_t key)
{
    uint64_t slot = (key * MULTIPLIER) >> (64 - t->bits);
    __builtin_prefetch(t->slots + 2 * slot);
}

PyDoc_STRVAR(sieve_doc,
"sieve(hashes, table, shift, out)\n--\n\n"
"Where table[(hash >> shift) & (len(table) - 1)] is set (table: bools, a power of two of\n"
"them): the indices of those hashes, in order, into out. Returns how many.");

static PyObject *
sieve(PyObject *self, PyObject *args)
{
    PyObject *objs[3];
    int shift;
    if (!PyArg_ParseTuple(args, "OOiO", &objs[0], &objs[1], &shift, &objs[2]))
        return NULL;
    static const char *names[3] = {"hashes", "table", "out"};
    static const Py_ssize_t sizes[3] = {8, 1, 8};
    Py_buffer views[3];
    PyObject *result = NULL;
    int got = get_buffers(objs, views, 3, sizes, 2, names);
    if (got < 3)
        goto done;
    Py_ssize_t n = views[0].len / 8, size = views[1].len, found = 0;
    if (size < 1 || (size & (size - 1)) || shift < 0 || shift > 63) {
        PyErr_SetString(PyExc_ValueError, "table: a power of two of bools; shift: 0 to 63");
        goto done;
    }
    if (check_room(&views[2], 8, n, "out") < 0)
        goto done;
    const uint64_t *hashes = views[0].buf, mask = (uint64_t)size - 1;
    const uint8_t *table = views[1].buf;
    int64_t *out = views[2].buf;
    for (Py_ssize_t i = 0; i < n; i++) {  /* written always, counted if set: no branch */
        out[found] = i;
        found += table[(hashes[i] >> shift) & mask] != 0;
    }
    result = PyLong_FromSsize_t(found);
done:
    return release(views, got, result);
}

PyDoc_STRVAR(lookup_doc,
"lookup(slots, bits, max_probes, stash, stash_order, query, out)\n--\n\n"
"For each query key, its position by KeyIndex's table (or -1), into out.");

static PyObject *
lookup(PyObject *self, PyObject *args)
{
    PyObject *objs[5];
    int bits, max_probes;
    if (!PyArg_ParseTuple(args, "OiiOOOO", &objs[0], &bits, &max_probes, &objs[1], &objs[2],
                          &objs[3], &objs[4]))
        return NULL;
    static const char *names[5] = {"slots", "stash", "stash_order", "query", "out"};
    Py_buffer views[5];
    PyObject *result = NULL;
    int got = get_buffers(objs, views, 5, NULL, 4, names);
    if (got < 5)
        goto done;
    if (bits < 1 || bits > 62 || max_probes < 1) {
        PyErr_SetString(PyExc_ValueError, "bits or max_probes out of range");
        goto done;
    }
    Py_ssize_t n = views[3].len / 8;
    if (check_room(&views[0], 8, (Py_ssize_t)2 << bits, "slots") < 0 ||
        check_room(&views[2], 8, views[1].len / 8, "stash_order") < 0 ||
        check_room(&views[4], 8, n, "out") < 0)
        goto done;
    Table t = {views[0].buf, bits, max_probes, views[1].buf, views[2].buf, views[1].len / 8};
    const uint64_t *query = views[3].buf;
    int64_t *out = views[4].buf;
    Py_BEGIN_ALLOW_THREADS
    for (Py_ssize_t i = 0; i < n; i++) {
        if (i + AHEAD < n)
            prefetch(&t, query[i + AHEAD]);
        out[i] = find(&t, query[i]);
    }
    Py_END_ALLOW_THREADS
    result = Py_NewRef(Py_None);
done:
    return release(views, got, result);
}

PyDoc_STRVAR(runs_doc,
"runs(ids, doc, n, base, slots, bits, max_probes, stash, stash_order, at, pos)\n--\n\n"
"Each run of n ids of one document, none of them negative, keyed as\n"
"((ids[i] * base + ids[i + 1]) * base + ...): where the key is found in KeyIndex's table,\n"
"its first index into at and its position into pos. Returns how many were found.");

#define BATCH 32  /* runs keyed, their slots asked for, then looked up: see AHEAD */

static PyObject *
runs(PyObject *self, PyObject *args)
{
    PyObject *objs[7];
    int n, bits, max_probes;
    long long base;
    if (!PyArg_ParseTuple(args, "OOiLOiiOOOO", &objs[0], &objs[1], &n, &base, &objs[2],
                          &bits, &max_probes, &objs[3], &objs[4], &objs[5], &objs[6]))
        return NULL;
    static const char *names[7] = {"ids", "doc", "slots", "stash", "stash_order", "at", "pos"};
    Py_buffer views[7];
    PyObject *result = NULL;
    int got = get_buffers(objs, views, 7, NULL, 5, names);
    if (got < 7)
        goto done;
    Py_ssize_t m = views[0].len / 8, found = 0;
    if (bits < 1 || bits > 62 || max_probes < 1 || n < 1 || base < 1) {
        PyErr_SetString(PyExc_ValueError, "bits, max_probes, n or base out of range");
        goto done;
    }
    if (check_room(&views[1], 8, m, "doc") < 0 ||
        check_room(&views[2], 8, (Py_ssize_t)2 << bits, "slots") < 0 ||
        check_room(&views[4], 8, views[3].len / 8, "stash_order") < 0 ||
        check_room(&views[5], 8, m, "at") < 0 || check_room(&views[6], 8, m, "pos") < 0)
        goto done;
    Table t = {views[2].buf, bits, max_probes, views[3].buf, views[4].buf, views[3].len / 8};
    const int64_t *ids = views[0].buf, *doc = views[1].buf;
    int64_t *at = views[5].buf, *pos = views[6].buf;
    Py_BEGIN_ALLOW_THREADS
    Py_ssize_t starts[BATCH];
    uint64_t keys[BATCH];
    for (Py_ssize_t i = 0; i + n <= m;) {
        int k = 0;
        for (; k < BATCH && i + n <= m; i++) {
            if (doc[i] != doc[i + n - 1])
                continue;
            uint64_t key = 0;
            int j = 0;
            for (; j < n && ids[i + j] >= 0; j++)
                key = key * (uint64_t)base + (uint64_t)ids[i + j];
            if (j < n)
                continue;
            prefetch(&t, key);
            starts[k] = i;
            keys[k++] = key;
        }
        for (int b = 0; b < k; b++) {
            int64_t p = find(&t, keys[b]);
            at[found] = starts[b];
            pos[found] = p;
            found += p >= 0;
        }
    }
    Py_END_ALLOW_THREADS
    result = PyLong_FromSsize_t(found);
done:
    return release(views, got, result);
}

/* One length's n-gram hits: n, each hit's first token and its feature. */
typedef struct {
    Py_buffer at, feat;
    Py_ssize_t n;
} HitGroup;

static void
release_groups(HitGroup *groups, Py_ssize_t got)
{
    for (Py_ssize_t g = 0; g < got; g++) {
        PyBuffer_Release(&groups[g].at);
        PyBuffer_Release(&groups[g].feat);
    }
    PyMem_Free(groups);
}

/* The groups of a list of (n, first tokens, features) tuples, their count into *count;
 * NULL with an error set. */
static HitGroup *
hit_groups(PyObject *hits, Py_ssize_t *count)
{
    if (!PyList_Check(hits)) {
        PyErr_SetString(PyExc_TypeError, "hits: a list of (n, first tokens, features)");
        return NULL;
    }
    Py_ssize_t n = PyList_GET_SIZE(hits), got = 0;
    HitGroup *groups = PyMem_Calloc(n + 1, sizeof(HitGroup));
    if (groups == NULL)
        return (HitGroup *)PyErr_NoMemory();
    for (; got < n; got++) {
        HitGroup *g = &groups[got];
        PyObject *at, *feat;
        if (!PyArg_ParseTuple(PyList_GET_ITEM(hits, got), "nOO", &g->n, &at, &feat) ||
            get_buffer(at, &g->at, 8, 0, "hits") < 0)
            break;
        if (get_buffer(feat, &g->feat, 8, 0, "hits") < 0) {
            PyBuffer_Release(&g->at);
            break;
        }
        if (g->n < 1 || g->feat.len < g->at.len) {
            PyErr_SetString(PyExc_ValueError, "hits: n of 1 or more, a feature for each hit");
            PyBuffer_Release(&g->at);
            PyBuffer_Release(&g->feat);
            break;
        }
    }
    if (got < n) {
        release_groups(groups, got);
        return NULL;
    }
    *count = n;
    return groups;
}

PyDoc_STRVAR(hit_counts_doc,
"hit_counts(doc, hits, n_features, rows, cols, counts)\n--\n\n"
"The (document, feature, count) entries of n-gram hits (n, first tokens, features; each\n"
"group's first tokens in order), by document and feature: doc is each token's document\n"
"(in order). Returns how many.");

/* A document's features: counted in a dense array, and marked in a bitmap of
 * n_features bits and a bitmap of its words, whose set bits are read back in order:
 * sorted without a sort, in time for the features the document has. */
static Py_ssize_t
document_counts(int64_t d, int64_t *counted, uint64_t *seen, uint64_t *top, Py_ssize_t n_top,
                int64_t *rows, int64_t *cols, int64_t *counts, Py_ssize_t k)
{
    for (Py_ssize_t t = 0; t < n_top; t++) {
        uint64_t words = top[t];
        top[t] = 0;
        while (words) {
            Py_ssize_t w = t * 64 + __builtin_ctzll(words);
            words &= words - 1;
            uint64_t bits = seen[w];
            seen[w] = 0;
            while (bits) {
                int64_t f = w * 64 + __builtin_ctzll(bits);
                bits &= bits - 1;
                rows[k] = d;
                cols[k] = f;
                counts[k++] = counted[f];
                counted[f] = 0;
            }
        }
    }
    return k;
}

static PyObject *
hit_counts(PyObject *self, PyObject *args)
{
    PyObject *hits, *objs[4];
    Py_ssize_t n_features;
    if (!PyArg_ParseTuple(args, "OOnOOO", &objs[0], &hits, &n_features, &objs[1], &objs[2], &objs[3]))
        return NULL;
    static const char *names[4] = {"doc", "rows", "cols", "counts"};
    Py_buffer views[4];
    PyObject *result = NULL;
    HitGroup *groups = NULL;
    Py_ssize_t n_groups = 0;
    int64_t *counted = PyMem_Calloc(n_features + 1, sizeof(int64_t));
    Py_ssize_t n_words = n_features / 64 + 1, n_top = n_words / 64 + 1;
    uint64_t *seen = PyMem_Calloc(n_words, sizeof(uint64_t)), *top = PyMem_Calloc(n_top, sizeof(uint64_t));
    int got = get_buffers(objs, views, 4, NULL, 1, names);
    if (got < 4 || (groups = hit_groups(hits, &n_groups)) == NULL)
        goto done;
    if (counted == NULL || seen == NULL || top == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    const int64_t *doc = views[0].buf;
    Py_ssize_t n_tokens = views[0].len / 8, total = 0;
    for (Py_ssize_t g = 0; g < n_groups; g++) {
        const int64_t *at = groups[g].at.buf, *feat = groups[g].feat.buf;
        for (Py_ssize_t i = 0; i < groups[g].at.len / 8; i++)
            if (at[i] < 0 || at[i] >= n_tokens || feat[i] < 0 || feat[i] >= n_features ||
                (i && at[i] < at[i - 1])) {
                PyErr_SetString(PyExc_IndexError, "a hit outside the tokens or features, or out of order");
                goto done;
            }
        total += groups[g].at.len / 8;
    }
    if (check_room(&views[2], 8, total, "cols") < 0 || check_room(&views[3], 8, total, "counts") < 0 ||
        check_room(&views[1], 8, total, "rows") < 0)
        goto done;
    Py_ssize_t *next = PyMem_Calloc(n_groups + 1, sizeof(Py_ssize_t)), k = 0;
    if (next == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    int64_t d = -1;
    for (;;) {  /* document by document: the next document any group's next hit is in */
        int64_t nd = INT64_MAX;
        for (Py_ssize_t g = 0; g < n_groups; g++)
            if (next[g] < groups[g].at.len / 8) {
                int64_t e = doc[((const int64_t *)groups[g].at.buf)[next[g]]];
                nd = e < nd ? e : nd;
            }
        if (nd == INT64_MAX)
            break;
        d = nd;
        for (Py_ssize_t g = 0; g < n_groups; g++) {
            const int64_t *at = groups[g].at.buf, *feat = groups[g].feat.buf;
            Py_ssize_t m = groups[g].at.len / 8, i = next[g];
            for (; i < m && doc[at[i]] == d; i++) {
                int64_t f = feat[i];
                counted[f]++;
                seen[f >> 6] |= (uint64_t)1 << (f & 63);
                top[f >> 12] |= (uint64_t)1 << ((f >> 6) & 63);
            }
            next[g] = i;
        }
        k = document_counts(d, counted, seen, top, n_top, views[1].buf, views[2].buf, views[3].buf, k);
    }
    PyMem_Free(next);
    result = PyLong_FromSsize_t(k);
done:
    if (groups != NULL)
        release_groups(groups, n_groups);
    PyMem_Free(counted);
    PyMem_Free(seen);
    PyMem_Free(top);
    return release(views, got, result);
}

/* ---- sparse entries: the model's scores, and the sentences' entries ---- */

PyDoc_STRVAR(products_doc,
"products(rows, cols, values, weights_t, out)\n--\n\n"
"out += X @ weights_t for the sparse X of entries (rows, cols, values): for each entry in\n"
"order, out[row, k] += value * weights_t[col, k], one product and one sum at a time, as\n"
"scipy's CSR product and NumPy's bincount add them (no fused multiply-add: setup.py).");

/* The products of entries [0, n), row by row: a run of entries of one row adds to a copy
 * of its sums (in registers, for a constant k of at most 8), in entry order, so each sum
 * is what adding to out itself would give. Inlined for each k. (Asking for the weights'
 * rows ahead gained nothing.) */
static inline __attribute__((always_inline)) void
add_products(const int64_t *rows, const int64_t *cols, const double *values,
             const double *restrict w, double *restrict out, Py_ssize_t n, const Py_ssize_t k)
{
    double acc[8];
    for (Py_ssize_t e = 0; e < n;) {
        double *y = out + rows[e] * k;
        if (k > 8) {  /* many columns: straight into out */
            const double *x = w + cols[e] * k;
            for (Py_ssize_t j = 0; j < k; j++)
                y[j] += values[e] * x[j];
            e++;
            continue;
        }
        int64_t r = rows[e];
        for (Py_ssize_t j = 0; j < k; j++)
            acc[j] = y[j];
        for (; e < n && rows[e] == r; e++) {
            const double v = values[e], *x = w + cols[e] * k;
            for (Py_ssize_t j = 0; j < k; j++)
                acc[j] += v * x[j];
        }
        for (Py_ssize_t j = 0; j < k; j++)
            y[j] = acc[j];
    }
}

static PyObject *
products(PyObject *self, PyObject *args)
{
    static const char *names[5] = {"rows", "cols", "values", "weights_t", "out"};
    Py_buffer views[5];
    PyObject *result = NULL;
    int got = buffer_args(args, views, 5, 4, names);
    if (got < 5)
        goto done;
    Py_ssize_t n = views[0].len / 8;
    if (check_room(&views[1], 8, n, "cols") < 0 || check_room(&views[2], 8, n, "values") < 0)
        goto done;
    if (views[3].ndim != 2 || views[4].ndim != 2 || views[3].shape[1] != views[4].shape[1]) {
        PyErr_SetString(PyExc_ValueError, "weights_t and out: matrices of as many columns");
        goto done;
    }
    const int64_t *rows = views[0].buf, *cols = views[1].buf;
    const double *values = views[2].buf, *w = views[3].buf;
    double *out = views[4].buf;
    Py_ssize_t k = views[3].shape[1], n_terms = views[3].shape[0], n_rows = views[4].shape[0];
    for (Py_ssize_t e = 0; e < n; e++)
        if (rows[e] < 0 || rows[e] >= n_rows || cols[e] < 0 || cols[e] >= n_terms) {
            PyErr_SetString(PyExc_IndexError, "an entry outside the matrices");
            goto done;
        }
    Py_BEGIN_ALLOW_THREADS
    switch (k) {  /* a row's sums in registers for the usual few columns */
    case 1: add_products(rows, cols, values, w, out, n, 1); break;
    case 2: add_products(rows, cols, values, w, out, n, 2); break;
    case 3: add_products(rows, cols, values, w, out, n, 3); break;
    case 4: add_products(rows, cols, values, w, out, n, 4); break;
    case 5: add_products(rows, cols, values, w, out, n, 5); break;
    case 6: add_products(rows, cols, values, w, out, n, 6); break;
    case 7: add_products(rows, cols, values, w, out, n, 7); break;
    case 8: add_products(rows, cols, values, w, out, n, 8); break;
    default: add_products(rows, cols, values, w, out, n, k);
    }
    Py_END_ALLOW_THREADS
    result = Py_NewRef(Py_None);
done:
    return release(views, got, result);
}

PyDoc_STRVAR(token_sentences_doc,
"token_sentences(token_starts, token_ends, begin, end, out)\n--\n\n"
"Each token's sentence into out: the last sentence begun at or before the token's start\n"
"(-1: none), or -1 if the token ends past that sentence's end (begin, token_starts in\n"
"order).");

static PyObject *
token_sentences(PyObject *self, PyObject *args)
{
    static const char *names[5] = {"token_starts", "token_ends", "begin", "end", "out"};
    Py_buffer views[5];
    PyObject *result = NULL;
    int got = buffer_args(args, views, 5, 4, names);
    if (got < 5)
        goto done;
    Py_ssize_t n = views[0].len / 8, m = views[2].len / 8;
    if (check_room(&views[1], 8, n, "token_ends") < 0 || check_room(&views[3], 8, m, "end") < 0 ||
        check_room(&views[4], 8, n, "out") < 0)
        goto done;
    const int64_t *starts = views[0].buf, *ends = views[1].buf, *begin = views[2].buf, *end = views[3].buf;
    int64_t *out = views[4].buf;
    Py_ssize_t j = 0;  /* sentences begun at or before the current token */
    for (Py_ssize_t i = 0; i < n; i++) {
        while (j < m && begin[j] <= starts[i])
            j++;
        out[i] = m && ends[i] > end[j > 0 ? j - 1 : 0] ? -1 : j - 1;
    }
    result = Py_NewRef(Py_None);
done:
    return release(views, got, result);
}

PyDoc_STRVAR(sentence_entries_doc,
"sentence_entries(sentence, hits, idf, n_sentences, cues, cue_value, rows, cols, values)\n--\n\n"
"The sentences' sparse entries, by sentence: each n-gram hit (n, first tokens, features)\n"
"whose tokens are all in one sentence (sentence: each token's, -1 none) weighs its\n"
"feature's idf over the root of the sum of the sentence's squared weights (added in hit\n"
"order, as bincount adds them); then, per sentence, each cue it holds (cues: a C-ordered\n"
"n_sentences x n_cues bool matrix, or None) at column len(idf) + cue, weighing\n"
"cue_value. Within a sentence, entries in the order found. Returns how many.");

/* The entries of one group of n-gram hits inside a sentence: counted per sentence with
 * their squared weights (place == NULL), or placed at each sentence's next place. */
static int
group_entries(const HitGroup *g, const int64_t *sent, Py_ssize_t n_tokens, const double *idf,
              Py_ssize_t n_idf, Py_ssize_t *count, double *norm2, Py_ssize_t *place,
              int64_t *rows, int64_t *cols, double *values)
{
    const int64_t *at = g->at.buf, *feat = g->feat.buf;
    Py_ssize_t m = g->at.len / 8;
    for (Py_ssize_t i = 0; i < m; i++) {
        int64_t a = at[i], f = feat[i];
        if (a < 0 || a + g->n - 1 >= n_tokens || f < 0 || f >= n_idf) {
            PyErr_SetString(PyExc_IndexError, "a hit outside the tokens or the features");
            return -1;
        }
        int64_t s = sent[a];
        if (s < 0 || s != sent[a + g->n - 1])
            continue;
        double w = idf[f];
        if (place == NULL) {
            count[s]++;
            norm2[s] += w * w;
        }
        else {
            Py_ssize_t p = place[s]++;
            rows[p] = s;
            cols[p] = f;
            values[p] = w / norm2[s];  /* norm2 holds the norms by then */
        }
    }
    return 0;
}

static PyObject *
sentence_entries(PyObject *self, PyObject *args)
{
    PyObject *hits, *objs[6];
    Py_ssize_t n_sent;
    double cue_value;
    if (!PyArg_ParseTuple(args, "OOOnOdOOO", &objs[0], &hits, &objs[1], &n_sent, &objs[2],
                          &cue_value, &objs[3], &objs[4], &objs[5]))
        return NULL;
    if (n_sent < 0) {
        PyErr_SetString(PyExc_ValueError, "n_sentences: 0 or more");
        return NULL;
    }
    static const char *names[6] = {"sentence", "idf", "cues", "rows", "cols", "values"};
    static const Py_ssize_t sizes[6] = {8, 8, 1, 8, 8, 8};
    Py_buffer views[6];
    Py_ssize_t n_groups = 0;
    HitGroup *groups = NULL;
    Py_ssize_t *count = PyMem_Calloc(n_sent + 1, sizeof(Py_ssize_t));
    double *norm2 = PyMem_Calloc(n_sent + 1, sizeof(double));
    int got = 0, has_cues = objs[2] != Py_None;
    PyObject *result = NULL;
    if (count == NULL || norm2 == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    for (; got < 6; got++) {
        if (got == 2 && !has_cues) {
            views[got].buf = NULL;
            views[got].len = 0;
            views[got].obj = NULL;
            continue;
        }
        if (get_buffer(objs[got], &views[got], sizes[got], got >= 3, names[got]) < 0)
            goto done;
    }
    if ((groups = hit_groups(hits, &n_groups)) == NULL)
        goto done;
    const int64_t *sent = views[0].buf;
    const double *idf = views[1].buf;
    const uint8_t *cues = views[2].buf;
    Py_ssize_t n_tokens = views[0].len / 8, n_idf = views[1].len / 8;
    Py_ssize_t n_cues = has_cues && n_sent ? views[2].len / n_sent : 0;
    if (has_cues && n_cues * n_sent != views[2].len) {
        PyErr_SetString(PyExc_ValueError, "cues: n_sentences rows expected");
        goto done;
    }
    for (Py_ssize_t i = 0; i < n_tokens; i++)
        if (sent[i] >= n_sent) {
            PyErr_SetString(PyExc_IndexError, "a token's sentence past the sentences");
            goto done;
        }
    for (Py_ssize_t k = 0; k < n_groups; k++)  /* counts and squared weights, in hit order */
        if (group_entries(&groups[k], sent, n_tokens, idf, n_idf, count, norm2, NULL, NULL, NULL, NULL) < 0)
            goto done;
    Py_ssize_t total = 0;
    for (Py_ssize_t s = 0; s < n_sent; s++) {  /* count: where each sentence's entries start */
        Py_ssize_t c = count[s];
        for (Py_ssize_t k = 0; k < n_cues; k++)
            c += cues[s * n_cues + k] != 0;
        count[s] = total;
        total += c;
        double norm = sqrt(norm2[s]);
        norm2[s] = norm == 0.0 ? 1.0 : norm;
    }
    if (check_room(&views[3], 8, total, "rows") < 0 || check_room(&views[4], 8, total, "cols") < 0 ||
        check_room(&views[5], 8, total, "values") < 0)
        goto done;
    int64_t *rows = views[3].buf, *cols = views[4].buf;
    double *values = views[5].buf;
    for (Py_ssize_t k = 0; k < n_groups; k++)
        group_entries(&groups[k], sent, n_tokens, idf, n_idf, count, norm2, count, rows, cols, values);
    for (Py_ssize_t s = 0; s < n_sent; s++)
        for (Py_ssize_t k = 0; k < n_cues; k++)
            if (cues[s * n_cues + k]) {
                Py_ssize_t p = count[s]++;
                rows[p] = s;
                cols[p] = n_idf + k;
                values[p] = cue_value;
            }
    result = PyLong_FromSsize_t(total);
done:
    if (groups != NULL)
        release_groups(groups, n_groups);
    while (got-- > 0)
        if (views[got].obj != NULL)
            PyBuffer_Release(&views[got]);
    PyMem_Free(count);
    PyMem_Free(norm2);
    return result;
}

/* ---- sentences (sentences.py's rules, one sentence end at a time) ---- */

/* The class bits, as tokens.py defines them (passed in, so that one place defines them). */
typedef struct {
    uint8_t word, term, close, open, space, newline, start, bullet;
} Bits;

typedef struct {
    const uint8_t *cls;
    const uint32_t *codes;
    Py_ssize_t n;  /* characters of the chunk: a line break first and last */
    Bits b;
} Text;

static inline Py_ssize_t
clip(const Text *t, Py_ssize_t at)
{
    return at < 0 ? 0 : at >= t->n ? t->n - 1 : at;
}

/* From `at`, forward (step 1) or back (-1) while the class has `bits` (_skip). */
static Py_ssize_t
skip(const Text *t, Py_ssize_t at, uint8_t bits, int step)
{
    while (t->cls[clip(t, at)] & bits) {
        if (at < 0 || at >= t->n)  /* past the chunk's ends: as _skip's walk stops */
            break;
        at += step;
    }
    return at;
}

static inline int
is_digit(uint32_t c)
{
    return c >= '0' && c <= '9';
}

/* Where a line's text starts: after white space and a bullet marker (_line_content). */
static Py_ssize_t
line_content(const Text *t, Py_ssize_t begin)
{
    Py_ssize_t at = skip(t, begin, t->b.space, 1), digits = 0;
    int marker = (t->cls[clip(t, at)] & t->b.bullet) != 0;
    while (digits < 3 && is_digit(t->codes[clip(t, at + digits)]))
        digits++;
    uint32_t closer = t->codes[clip(t, at + digits)];
    int numbered = digits > 0 && (closer == '.' || closer == ')');
    Py_ssize_t after = numbered ? at + digits + 1 : at + 1;
    int bullet = (marker || numbered) && (t->cls[clip(t, after)] & t->b.space);
    return bullet ? skip(t, after, t->b.space, 1) : at;
}

typedef struct {
    const int64_t *starts, *ends;
    const uint64_t *hashes;
    Py_ssize_t n;
    Table abbreviations, numbers;
    const int64_t *dotted;
    Py_ssize_t n_dotted;
    Py_ssize_t cursor;  /* tokens ending before the last mark looked at */
} Words;

/* Does the full stop at p not end a sentence: after an abbreviation, "No." before a
 * number, an initial or a dotted abbreviation (_boundaries' exceptions)? */
static int
not_an_end(const Text *t, Words *w, Py_ssize_t p, Py_ssize_t first)
{
    const uint32_t *codes = t->codes;
    const uint8_t *cls = t->cls;
    /* the first token ending at or after p: p only grows from call to call, so a cursor
     * walks the tokens once (a binary search per mark missed the caches at every step) */
    while (w->cursor < w->n && w->ends[w->cursor] < p)
        w->cursor++;
    Py_ssize_t lo = w->cursor;
    Py_ssize_t i = lo < w->n ? lo : w->n - 1;  /* take(mode="clip") */
    int i_ok = w->n > 0 && lo < w->n && w->ends[i] == p;
    uint64_t h = w->n ? w->hashes[i] : 0;
    int whole = codes[clip(t, (w->n ? w->starts[i] : 0) - 1)] != '.';
    if (i_ok && whole && find(&w->abbreviations, h) >= 0)
        return 1;
    if (i_ok && whole && find(&w->numbers, h) >= 0 && is_digit(codes[clip(t, first)]))
        return 1;
    int single = (cls[clip(t, p - 1)] & t->b.word) && !(cls[clip(t, p - 2)] & t->b.word);
    uint32_t before = codes[clip(t, p - 2)];
    if (single && before != '.' && (cls[clip(t, p - 1)] & t->b.start) && !is_digit(codes[clip(t, p - 1)]))
        return 1;
    if (single && before == '.' && !(cls[clip(t, p - 4)] & t->b.word)) {
        int64_t pair = (int64_t)codes[clip(t, p - 3)] * 0x110000 + codes[clip(t, p - 1)];
        for (Py_ssize_t k = 0; k < w->n_dotted; k++)
            if (w->dotted[k] == pair)
                return 1;
    }
    return 0;
}

/* The first position from c on whose class has a bit of `bits` (n: none), eight classes
 * at a time: most characters are not marks, and a loop of a character at a time over
 * them cost more than the rules at the marks. */
static Py_ssize_t
next_mark(const uint8_t *cls, Py_ssize_t c, Py_ssize_t n, uint8_t bits)
{
    const uint64_t every = 0x0101010101010101ull * bits;
    for (; c + 8 <= n; c += 8) {
        uint64_t eight;
        memcpy(&eight, cls + c, 8);
        if (eight & every)
            break;
    }
    while (c < n && !(cls[c] & bits))
        c++;
    return c;
}

/* Merge a[0..na) and b read backwards from b_last (b_last, b_last - 1, ...), nb of them,
 * both in order, into out. */
static void
merge(const int64_t *a, Py_ssize_t na, const int64_t *b_last, Py_ssize_t nb, int64_t *out)
{
    Py_ssize_t i = 0, j = 0, k = 0;
    while (i < na && j < nb)
        out[k++] = a[i] <= *(b_last - j) ? a[i++] : *(b_last - j++);
    while (i < na)
        out[k++] = a[i++];
    while (j < nb)
        out[k++] = *(b_last - j++);
}

/* The sentence spans of a chunk into starts and stops (room for a character each): each
 * line's content and each sentence end inside a line, each sorted, paired by rank as
 * sentences_of pairs them. Lines go at the front, sentence ends at the back (both come
 * in order), then one merge each, no sort. Returns how many, or -1 (no memory). */
static Py_ssize_t
chunk_sentences(const Text *t, Words *w, int64_t *starts, int64_t *stops)
{
    Py_ssize_t lines = 0, ends = 0, line_begin = -1, content = 0, last = t->n - 1;
    const uint8_t marks = t->b.term | t->b.newline;
    for (Py_ssize_t c = 0; (c = next_mark(t->cls, c, t->n, marks)) < t->n; c++) {
        uint8_t k = t->cls[c];
        if (k & t->b.newline) {  /* a line ends (the first break opens the first line) */
            if (line_begin >= 0) {
                starts[lines] = content;
                stops[lines++] = skip(t, c - 1, t->b.space, -1) + 1;
            }
            line_begin = c + 1;
            content = line_content(t, line_begin);
            continue;
        }
        if (!(k & t->b.term) || (t->cls[clip(t, c - 1)] & t->b.term))
            continue;  /* not a sentence mark, or not the first of a run */
        Py_ssize_t q = skip(t, c + 1, t->b.term | t->b.close, 1);
        if (!(t->cls[clip(t, q)] & t->b.space))
            continue;
        Py_ssize_t nxt = skip(t, q, t->b.space, 1), first = skip(t, nxt, t->b.open, 1);
        if (!(t->cls[clip(t, first)] & t->b.start))
            continue;
        if (t->codes[c] == '.' && not_an_end(t, w, c, first))
            continue;
        if (line_begin >= 0 && q > content) {  /* not inside the line's bullet marker */
            starts[last - ends] = nxt;
            stops[last - ends++] = q;
        }
    }
    int64_t *merged = PyMem_Malloc((lines + ends + 1) * sizeof(int64_t));
    if (merged == NULL)
        return -1;
    merge(starts, lines, starts + last, ends, merged);
    memcpy(starts, merged, (lines + ends) * sizeof(int64_t));
    merge(stops, lines, stops + last, ends, merged);
    memcpy(stops, merged, (lines + ends) * sizeof(int64_t));
    PyMem_Free(merged);
    return lines + ends;
}

PyDoc_STRVAR(sentences_doc,
"sentences(classes, codes, token_starts, token_ends, token_hashes, abbreviations, numbers,\n"
"          dotted, bits, starts, stops)\n--\n\n"
"The sentence starts and stops of a chunk (sentences.py's rules), each in order, paired\n"
"by rank: abbreviations and numbers are KeyIndex tables (KeyIndex.table()), dotted the\n"
"letter pairs of dotted abbreviations, bits the class bits (word, term, close, open,\n"
"space, newline, start, bullet). Returns how many pairs.");

/* A KeyIndex's table from its table() tuple, its buffers into views[0..3). */
static int
table_of(PyObject *tuple, Table *t, Py_buffer *views)
{
    PyObject *slots, *stash, *order;
    static const char *names[3] = {"slots", "stash", "stash_order"};
    if (!PyArg_ParseTuple(tuple, "OiiOO", &slots, &t->bits, &t->max_probes, &stash, &order))
        return 0;
    PyObject *objs[3] = {slots, stash, order};
    int got = get_buffers(objs, views, 3, NULL, 3, names);
    if (got == 3 && (t->bits < 1 || t->bits > 62 || t->max_probes < 1 ||
                     check_room(&views[0], 8, (Py_ssize_t)2 << t->bits, "slots") < 0 ||
                     check_room(&views[2], 8, views[1].len / 8, "stash_order") < 0)) {
        if (!PyErr_Occurred())
            PyErr_SetString(PyExc_ValueError, "bits or max_probes out of range");
        release(views, got, NULL);
        return 0;
    }
    t->slots = views[0].buf;
    t->stash = views[1].buf;
    t->stash_order = views[2].buf;
    t->n_stash = views[1].len / 8;
    return got;
}

static PyObject *
sentences(PyObject *self, PyObject *args)
{
    PyObject *objs[8], *abbreviations, *numbers;
    Bits b;
    if (!PyArg_ParseTuple(args, "OOOOOOOO(bbbbbbbb)OO", &objs[0], &objs[1], &objs[2], &objs[3],
                          &objs[4], &abbreviations, &numbers, &objs[5], &b.word, &b.term,
                          &b.close, &b.open, &b.space, &b.newline, &b.start, &b.bullet,
                          &objs[6], &objs[7]))
        return NULL;
    static const char *names[8] = {"classes", "codes", "token_starts", "token_ends",
                                   "token_hashes", "dotted", "starts", "stops"};
    static const Py_ssize_t sizes[8] = {1, 4, 8, 8, 8, 8, 8, 8};
    Py_buffer views[8], tables[6];
    Words w;
    PyObject *result = NULL;
    int got = get_buffers(objs, views, 8, sizes, 6, names), got_a = 0, got_n = 0;
    if (got < 8 || (got_a = table_of(abbreviations, &w.abbreviations, tables)) < 3 ||
        (got_n = table_of(numbers, &w.numbers, tables + 3)) < 3)
        goto done;
    Text t = {views[0].buf, views[1].buf, views[0].len, b};
    w.starts = views[2].buf;
    w.ends = views[3].buf;
    w.hashes = views[4].buf;
    w.n = views[2].len / 8;
    w.dotted = views[5].buf;
    w.n_dotted = views[5].len / 8;
    w.cursor = 0;
    if (t.n < 1) {
        PyErr_SetString(PyExc_ValueError, "classes: a chunk begins and ends with a line break");
        goto done;
    }
    if (check_room(&views[1], 4, t.n, "codes") < 0 || check_room(&views[3], 8, w.n, "token_ends") < 0 ||
        check_room(&views[4], 8, w.n, "token_hashes") < 0 || check_room(&views[6], 8, t.n, "starts") < 0 ||
        check_room(&views[7], 8, t.n, "stops") < 0)
        goto done;
    Py_ssize_t n = chunk_sentences(&t, &w, views[6].buf, views[7].buf);
    result = n < 0 ? PyErr_NoMemory() : PyLong_FromSsize_t(n);
done:
    release(tables + 3, got_n, NULL);
    release(tables, got_a, NULL);
    return release(views, got, result);
}

static PyMethodDef methods[] = {
    {"sentences", sentences, METH_VARARGS, sentences_doc},
    {"word_and_space", word_and_space, METH_VARARGS, word_and_space_doc},
    {"sieve", sieve, METH_VARARGS, sieve_doc},
    {"hit_counts", hit_counts, METH_VARARGS, hit_counts_doc},
    {"sentence_entries", sentence_entries, METH_VARARGS, sentence_entries_doc},
    {"token_sentences", token_sentences, METH_VARARGS, token_sentences_doc},
    {"products", products, METH_VARARGS, products_doc},
    {"runs", runs, METH_VARARGS, runs_doc},
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
