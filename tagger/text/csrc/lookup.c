/* KeyIndex's lookups, the n-gram runs' keys, the hash pre-filter (lookup.py). */
#include "kernel.h"

KERNEL_DOC(sieve_doc,
"sieve(hashes, table, shift, out)\n--\n\n"
"Where table[(hash >> shift) & (len(table) - 1)] is set (table: bools, a power of two of\n"
"them): the indices of those hashes, in order, into out. Returns how many.");

PyObject *
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

KERNEL_DOC(lookup_doc,
"lookup(slots, bits, max_probes, stash, stash_order, query, out)\n--\n\n"
"For each query key, its position by KeyIndex's table (or -1), into out.");

PyObject *
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

KERNEL_DOC(runs_doc,
"runs(ids, doc, n, base, slots, bits, max_probes, stash, stash_order, at, pos)\n--\n\n"
"Each run of n ids of one document, none of them negative, keyed as\n"
"((ids[i] * base + ids[i + 1]) * base + ...): where the key is found in KeyIndex's table,\n"
"its first index into at and its position into pos. Returns how many were found.");

#define BATCH 32  /* runs keyed, their slots asked for, then looked up: see AHEAD */

PyObject *
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
