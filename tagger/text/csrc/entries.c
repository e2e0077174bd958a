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

PyObject *
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
