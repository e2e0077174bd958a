/* Each token's sentence and the sentences' entries (model/sentencescores.py). */
#include "kernel.h"

KERNEL_DOC(token_sentences_doc,
"token_sentences(token_starts, token_ends, begin, end, out)\n--\n\n"
"Each token's sentence into out: the last sentence begun at or before the token's start\n"
"(-1: none), or -1 if the token ends past that sentence's end (begin, token_starts in\n"
"order).");

PyObject *
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

KERNEL_DOC(sentence_entries_doc,
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
        if (i + AHEAD < m && feat[i + AHEAD] >= 0 && feat[i + AHEAD] < n_idf)
            __builtin_prefetch(idf + feat[i + AHEAD]);
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

/* The arguments both sentence kernels begin with, (sentence, hits, idf, n_sentences, cues,
 * cue_value), then n_out outputs: the buffers' objects into objs (sentence, idf, cues, the
 * outputs); -1 with an error set. */
static int
sentence_args(PyObject *args, Py_ssize_t n_out, PyObject **objs, PyObject **hits,
              Py_ssize_t *n_sent, double *cue_value)
{
    if (PyTuple_GET_SIZE(args) != 6 + n_out) {
        PyErr_Format(PyExc_TypeError, "%zd arguments expected", 6 + n_out);
        return -1;
    }
    PyObject *head = PyTuple_GetSlice(args, 0, 6);  /* its items are args' too */
    if (head == NULL)
        return -1;
    int ok = PyArg_ParseTuple(head, "OOOnOd", &objs[0], hits, &objs[1], n_sent, &objs[2], cue_value);
    Py_DECREF(head);
    if (!ok)
        return -1;
    if (*n_sent < 0) {
        PyErr_SetString(PyExc_ValueError, "n_sentences: 0 or more");
        return -1;
    }
    for (Py_ssize_t k = 0; k < n_out; k++)
        objs[3 + k] = PyTuple_GET_ITEM(args, 6 + k);
    return 0;
}

/* The arguments' buffers from objs: sentence, idf, cues (None: none, left empty), then the
 * outputs, writable from index `writable` on; how many were got (count, or fewer with an
 * error set). */
static int
sentence_buffers(PyObject **objs, Py_buffer *views, int count, const Py_ssize_t *sizes,
                 int writable, const char *const *names)
{
    int got = 0;
    for (; got < count; got++) {
        if (got == 2 && objs[2] == Py_None) {
            views[2].buf = NULL;
            views[2].len = 0;
            views[2].obj = NULL;
            continue;
        }
        if (get_buffer(objs[got], &views[got], sizes[got], got >= writable, names[got]) < 0)
            break;
    }
    return got;
}

PyObject *
release_sentence_buffers(Py_buffer *views, int got, PyObject *result)
{
    while (got-- > 0)
        if (views[got].obj != NULL)
            PyBuffer_Release(&views[got]);
    return result;
}

void
free_sentence_hits(SentenceHits *h)
{
    if (h->groups != NULL)
        release_groups(h->groups, h->n_groups);
    PyMem_Free(h->count);
    PyMem_Free(h->norm2);
}

/* Fill h from the buffers (sentence, idf, cues) and the hits, and count each sentence's
 * hits and the norm of their weights (squares added in hit order, as bincount adds
 * them); -1 with an error set (h freed by free_sentence_hits either way). */
static int
sentence_hits(SentenceHits *h, Py_buffer *views, PyObject *hits, Py_ssize_t n_sent)
{
    memset(h, 0, sizeof(*h));
    h->count = PyMem_Calloc(n_sent + 1, sizeof(Py_ssize_t));
    h->norm2 = PyMem_Calloc(n_sent + 1, sizeof(double));
    if (h->count == NULL || h->norm2 == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    if ((h->groups = hit_groups(hits, &h->n_groups)) == NULL)
        return -1;
    h->sent = views[0].buf;
    h->idf = views[1].buf;
    h->cues = views[2].buf;
    h->n_tokens = views[0].len / 8;
    h->n_idf = views[1].len / 8;
    h->n_sent = n_sent;
    h->n_cues = views[2].buf != NULL && n_sent ? views[2].len / n_sent : 0;
    if (views[2].buf != NULL && h->n_cues * n_sent != views[2].len) {
        PyErr_SetString(PyExc_ValueError, "cues: n_sentences rows expected");
        return -1;
    }
    for (Py_ssize_t i = 0; i < h->n_tokens; i++)
        if (h->sent[i] >= n_sent) {
            PyErr_SetString(PyExc_IndexError, "a token's sentence past the sentences");
            return -1;
        }
    for (Py_ssize_t k = 0; k < h->n_groups; k++)
        if (group_entries(&h->groups[k], h->sent, h->n_tokens, h->idf, h->n_idf, h->count,
                          h->norm2, NULL, NULL, NULL, NULL) < 0)
            return -1;
    for (Py_ssize_t s = 0; s < n_sent; s++) {
        double norm = sqrt(h->norm2[s]);
        h->norm2[s] = norm == 0.0 ? 1.0 : norm;
    }
    return 0;
}

/* A sentence kernel's arguments: (sentence, hits, idf, n_sentences, cues, cue_value) and
 * then count - 3 outputs, the buffers of which are writable from index `writable` on: their
 * views (how many into *got, for release_sentence_buffers), h filled (for
 * free_sentence_hits) and cue_value; -1 with an error set. */
int
open_sentences(PyObject *args, int count, const char *const *names, const Py_ssize_t *sizes,
               int writable, Py_buffer *views, int *got, SentenceHits *h, double *cue_value)
{
    PyObject *objs[8], *hits;
    Py_ssize_t n_sent;
    *got = 0;
    if (count > 8 || sentence_args(args, count - 3, objs, &hits, &n_sent, cue_value) < 0)
        return -1;
    *got = sentence_buffers(objs, views, count, sizes, writable, names);
    if (*got < count)
        return -1;
    return sentence_hits(h, views, hits, n_sent);
}

PyObject *
sentence_entries(PyObject *self, PyObject *args)
{
    static const char *names[6] = {"sentence", "idf", "cues", "rows", "cols", "values"};
    static const Py_ssize_t sizes[6] = {8, 8, 1, 8, 8, 8};
    Py_buffer views[6];
    SentenceHits h = {0};
    PyObject *result = NULL;
    double cue_value;
    int got;
    if (open_sentences(args, 6, names, sizes, 3, views, &got, &h, &cue_value) < 0)
        goto done;
    Py_ssize_t n_sent = h.n_sent;
    Py_ssize_t total = 0, *count = h.count, n_cues = h.n_cues;
    for (Py_ssize_t s = 0; s < n_sent; s++) {  /* count: where each sentence's entries start */
        Py_ssize_t c = count[s];
        for (Py_ssize_t k = 0; k < n_cues; k++)
            c += h.cues[s * n_cues + k] != 0;
        count[s] = total;
        total += c;
    }
    if (check_room(&views[3], 8, total, "rows") < 0 || check_room(&views[4], 8, total, "cols") < 0 ||
        check_room(&views[5], 8, total, "values") < 0)
        goto done;
    int64_t *rows = views[3].buf, *cols = views[4].buf;
    double *values = views[5].buf;
    for (Py_ssize_t k = 0; k < h.n_groups; k++)
        group_entries(&h.groups[k], h.sent, h.n_tokens, h.idf, h.n_idf, count, h.norm2, count,
                      rows, cols, values);
    for (Py_ssize_t s = 0; s < n_sent; s++)
        for (Py_ssize_t k = 0; k < n_cues; k++)
            if (h.cues[s * n_cues + k]) {
                Py_ssize_t p = count[s]++;
                rows[p] = s;
                cols[p] = h.n_idf + k;
                values[p] = cue_value;
            }
    result = PyLong_FromSsize_t(total);
done:
    free_sentence_hits(&h);
    return release_sentence_buffers(views, got, result);
}
