/* The sentence splitter's rules, one mark at a time (sentences.py). */
#include "kernel.h"

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

/* The sentence spans of a chunk: each line's content and each sentence end inside a line,
 * each sorted, paired by rank as sentences_of pairs them, as two bytearrays of int64 (a
 * tuple; NULL with an error set). Lines go at the front of a work buffer, sentence ends at
 * its back (both come in order), then one merge each into the results, no sort. The
 * buffer is malloc's: only its touched pages are ever mapped (NumPy asks for huge pages
 * for an array this size, each zeroed whole). */
static PyObject *
chunk_sentences(const Text *t, Words *w)
{
    Py_ssize_t lines = 0, ends = 0, line_begin = -1, content = 0, last = t->n - 1;
    int64_t *work = PyMem_Malloc(2 * t->n * sizeof(int64_t));
    if (work == NULL)
        return PyErr_NoMemory();
    int64_t *starts = work, *stops = work + t->n;
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
    Py_ssize_t size = (lines + ends) * sizeof(int64_t);
    PyObject *out_starts = PyByteArray_FromStringAndSize(NULL, size);
    PyObject *out_stops = PyByteArray_FromStringAndSize(NULL, size);
    PyObject *result = NULL;
    if (out_starts != NULL && out_stops != NULL) {
        merge(starts, lines, starts + last, ends, (int64_t *)PyByteArray_AS_STRING(out_starts));
        merge(stops, lines, stops + last, ends, (int64_t *)PyByteArray_AS_STRING(out_stops));
        result = PyTuple_Pack(2, out_starts, out_stops);
    }
    Py_XDECREF(out_starts);
    Py_XDECREF(out_stops);
    PyMem_Free(work);
    return result;
}

KERNEL_DOC(sentences_doc,
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

PyObject *
sentences(PyObject *self, PyObject *args)
{
    PyObject *objs[6], *abbreviations, *numbers;
    Bits b;
    if (!PyArg_ParseTuple(args, "OOOOOOOO(bbbbbbbb)", &objs[0], &objs[1], &objs[2], &objs[3],
                          &objs[4], &abbreviations, &numbers, &objs[5], &b.word, &b.term,
                          &b.close, &b.open, &b.space, &b.newline, &b.start, &b.bullet))
        return NULL;
    static const char *names[6] = {"classes", "codes", "token_starts", "token_ends",
                                   "token_hashes", "dotted"};
    static const Py_ssize_t sizes[6] = {1, 4, 8, 8, 8, 8};
    Py_buffer views[6], tables[6];
    Words w;
    PyObject *result = NULL;
    int got = get_buffers(objs, views, 6, sizes, 6, names), got_a = 0, got_n = 0;
    if (got < 6 || (got_a = table_of(abbreviations, &w.abbreviations, tables)) < 3 ||
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
        check_room(&views[4], 8, w.n, "token_hashes") < 0)
        goto done;
    result = chunk_sentences(&t, &w);
done:
    release(tables + 3, got_n, NULL);
    release(tables, got_a, NULL);
    return release(views, got, result);
}
