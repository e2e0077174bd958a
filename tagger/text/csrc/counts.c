/* The n-gram counts per document (ngrams.py), the sparse products of the scores
 * (model/sentencescores.py). */
#include "kernel.h"

KERNEL_DOC(hit_counts_doc,
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

PyObject *
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
                if (i + AHEAD < m)  /* checked above: a feature */
                    __builtin_prefetch(counted + feat[i + AHEAD], 1);
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

KERNEL_DOC(products_doc,
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

PyObject *
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
