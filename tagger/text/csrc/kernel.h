/* The compiled kernel of tagger.text (tokens.py says what is compiled, and why).
 *
 * Plain C with the CPython API, no NumPy headers: the callers allocate NumPy arrays and
 * pass them in; these files read and write them through the buffer protocol. Every
 * function computes exactly what the NumPy code beside its caller computes (tests compare
 * the two): the same tables, the same hashes modulo 2**64, the same probe sequences, sums
 * of floats in the same order (setup.py: no fused multiply-add).
 */
#ifndef TAGGER_KERNEL_H
#define TAGGER_KERNEL_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>
#include <math.h>

/* a method's docstring, defined beside it and listed in module.c */
#define KERNEL_DOC(name, text) const char name[] = PyDoc_STR(text)

/* buffers of the arguments (module.c) */
int get_buffer(PyObject *obj, Py_buffer *view, Py_ssize_t itemsize, int writable, const char *what);
int check_room(Py_buffer *view, Py_ssize_t itemsize, Py_ssize_t needed, const char *what);
int get_buffers(PyObject **objs, Py_buffer *views, int count, const Py_ssize_t *sizes, int writable,
                const char *const *names);
int buffer_args(PyObject *args, Py_buffer *views, int count, int writable, const char *const *names);
PyObject *release(Py_buffer *views, int got, PyObject *result);

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

/* One length's n-gram hits: n, each hit's first token and its feature. */
typedef struct {
    Py_buffer at, feat;
    Py_ssize_t n;
} HitGroup;

void release_groups(HitGroup *groups, Py_ssize_t got);
HitGroup *hit_groups(PyObject *hits, Py_ssize_t *count);

/* A slice's sentences and their n-gram hits, as both kernels below read them. */
typedef struct {
    HitGroup *groups;
    Py_ssize_t n_groups, n_tokens, n_idf, n_sent, n_cues;
    const int64_t *sent;
    const double *idf;
    const uint8_t *cues;
    Py_ssize_t *count;  /* each sentence's hits inside it */
    double *norm2;      /* then the norm of their weights (1 for none) */
} SentenceHits;

/* a slice's sentences and hits (entries.c) */
int open_sentences(PyObject *args, int count, const char *const *names, const Py_ssize_t *sizes,
                   int writable, Py_buffer *views, int *got, SentenceHits *h, double *cue_value);
PyObject *release_sentence_buffers(Py_buffer *views, int got, PyObject *result);
void free_sentence_hits(SentenceHits *h);

/* the methods, and their docstrings */
#define KERNEL_METHOD(name) \
    PyObject *name(PyObject *self, PyObject *args); \
    extern const char name##_doc[];
KERNEL_METHOD(scan)
KERNEL_METHOD(word_and_space)
KERNEL_METHOD(lookup)
KERNEL_METHOD(runs)
KERNEL_METHOD(sieve)
KERNEL_METHOD(hit_counts)
KERNEL_METHOD(products)
KERNEL_METHOD(token_sentences)
KERNEL_METHOD(sentence_entries)
KERNEL_METHOD(sentence_scores)
KERNEL_METHOD(sentences)

#endif
