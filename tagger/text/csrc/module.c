/* The module: the argument buffers' helpers and the method table. */
#include "kernel.h"

/* A buffer of `count` items of `itemsize` bytes, writable if asked. */
int
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

int
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
int
get_buffers(PyObject **objs, Py_buffer *views, int count, const Py_ssize_t *sizes, int writable,
            const char *const *names)
{
    for (int i = 0; i < count; i++)
        if (get_buffer(objs[i], &views[i], sizes ? sizes[i] : 8, i >= writable, names[i]) < 0)
            return i;
    return count;
}

/* The buffers of a call whose arguments are all buffers, as get_buffers. */
int
buffer_args(PyObject *args, Py_buffer *views, int count, int writable, const char *const *names)
{
    if (PyTuple_GET_SIZE(args) != count) {
        PyErr_Format(PyExc_TypeError, "%d arguments expected", count);
        return 0;
    }
    return get_buffers(((PyTupleObject *)args)->ob_item, views, count, NULL, writable, names);
}

PyObject *
release(Py_buffer *views, int got, PyObject *result)
{
    while (got-- > 0)
        PyBuffer_Release(&views[got]);
    return result;
}

void
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
HitGroup *
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

static PyMethodDef methods[] = {
    {"sentences", sentences, METH_VARARGS, sentences_doc},
    {"word_and_space", word_and_space, METH_VARARGS, word_and_space_doc},
    {"sieve", sieve, METH_VARARGS, sieve_doc},
    {"hit_counts", hit_counts, METH_VARARGS, hit_counts_doc},
    {"sentence_entries", sentence_entries, METH_VARARGS, sentence_entries_doc},
    {"sentence_scores", sentence_scores, METH_VARARGS, sentence_scores_doc},
    {"token_sentences", token_sentences, METH_VARARGS, token_sentences_doc},
    {"products", products, METH_VARARGS, products_doc},
    {"runs", runs, METH_VARARGS, runs_doc},
    {"scan", scan, METH_VARARGS, scan_doc},
    {"lookup", lookup, METH_VARARGS, lookup_doc},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "tagger.text.ckernel",
    "The compiled kernel of tagger.text (tagger/text/csrc): tokens.py says what it computes.",
    -1, methods,
};

PyMODINIT_FUNC
PyInit_ckernel(void)
{
    return PyModule_Create(&module);
}
