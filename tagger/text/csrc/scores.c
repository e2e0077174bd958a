/* The sentences' scores summed as their n-gram hits are found (model/sentencescores.py). */
#include "kernel.h"

KERNEL_DOC(sentence_scores_doc,
"sentence_scores(sentence, hits, idf, n_sentences, cues, cue_value, weights_t, out)\n--\n\n"
"out += X @ weights_t for the entries X that sentence_entries makes of the same arguments,\n"
"without making them: each sentence's products added one at a time in the order\n"
"sentence_entries places its entries, so each sum is products()'s over them, bit for bit.");

/* One group's products, sentence by sentence: a run of hits in one sentence (hits come in
 * token order) adds to a copy of its sums, in registers for a constant k of at most 8,
 * as products() does. Inlined for each k. */
static inline __attribute__((always_inline)) void
add_group(const HitGroup *g, const SentenceHits *h, const double *restrict w,
          double *restrict out, const Py_ssize_t k)
{
    const int64_t *at = g->at.buf, *feat = g->feat.buf, *sent = h->sent;
    Py_ssize_t m = g->at.len / 8;
    double acc[8] = {0};
    int64_t cur = -1;
    for (Py_ssize_t i = 0; i < m; i++) {
        if (i + AHEAD < m)
            __builtin_prefetch(w + feat[i + AHEAD] * k);
        int64_t a = at[i], s = sent[a];
        if (s < 0 || s != sent[a + g->n - 1])
            continue;
        const double v = h->idf[feat[i]] / h->norm2[s], *x = w + feat[i] * k;
        if (k > 8) {  /* many columns: straight into out */
            double *y = out + s * k;
            for (Py_ssize_t j = 0; j < k; j++)
                y[j] += v * x[j];
            continue;
        }
        if (s != cur) {
            for (Py_ssize_t j = 0; cur >= 0 && j < k; j++)
                out[cur * k + j] = acc[j];
            for (Py_ssize_t j = 0; j < k; j++)
                acc[j] = out[s * k + j];
            cur = s;
        }
        for (Py_ssize_t j = 0; j < k; j++)
            acc[j] += v * x[j];
    }
    for (Py_ssize_t j = 0; cur >= 0 && j < k; j++)
        out[cur * k + j] = acc[j];
}

static void
add_sentence_products(const SentenceHits *h, double cue_value, const double *restrict w,
                      double *restrict out, const Py_ssize_t k)
{
    for (Py_ssize_t g = 0; g < h->n_groups; g++)
        add_group(&h->groups[g], h, w, out, k);
    for (Py_ssize_t s = 0; s < h->n_sent; s++)  /* then each sentence's cues */
        for (Py_ssize_t c = 0; c < h->n_cues; c++)
            if (h->cues[s * h->n_cues + c]) {
                const double *x = w + (h->n_idf + c) * k;
                for (Py_ssize_t j = 0; j < k; j++)
                    out[s * k + j] += cue_value * x[j];
            }
}

PyObject *
sentence_scores(PyObject *self, PyObject *args)
{
    static const char *names[5] = {"sentence", "idf", "cues", "weights_t", "out"};
    static const Py_ssize_t sizes[5] = {8, 8, 1, 8, 8};
    Py_buffer views[5];
    SentenceHits h = {0};
    PyObject *result = NULL;
    double cue_value;
    int got;
    if (open_sentences(args, 5, names, sizes, 4, views, &got, &h, &cue_value) < 0)
        goto done;
    Py_ssize_t n_sent = h.n_sent;
    if (views[3].ndim != 2 || views[4].ndim != 2 || views[3].shape[1] != views[4].shape[1] ||
        views[3].shape[0] != h.n_idf + h.n_cues || views[4].shape[0] != n_sent) {
        PyErr_SetString(PyExc_ValueError, "weights_t: a row per feature, out: a row per sentence, "
                                          "as many columns");
        goto done;
    }
    const double *w = views[3].buf;
    double *out = views[4].buf;
    switch (views[3].shape[1]) {  /* a sentence's sums in registers for the usual few columns */
    case 1: add_sentence_products(&h, cue_value, w, out, 1); break;
    case 2: add_sentence_products(&h, cue_value, w, out, 2); break;
    case 3: add_sentence_products(&h, cue_value, w, out, 3); break;
    case 4: add_sentence_products(&h, cue_value, w, out, 4); break;
    case 5: add_sentence_products(&h, cue_value, w, out, 5); break;
    case 6: add_sentence_products(&h, cue_value, w, out, 6); break;
    case 7: add_sentence_products(&h, cue_value, w, out, 7); break;
    case 8: add_sentence_products(&h, cue_value, w, out, 8); break;
    default: add_sentence_products(&h, cue_value, w, out, views[3].shape[1]);
    }
    result = Py_NewRef(Py_None);
done:
    free_sentence_hits(&h);
    return release_sentence_buffers(views, got, result);
}
