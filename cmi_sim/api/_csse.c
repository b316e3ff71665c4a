/* The SSE `order` event's hot loop in C: the text of one side of a book.
 *
 * `render_side(book_side, own, tick)` returns, as bytes, what SseBookRenderer's Python reference
 * (`_render_side_py` in cmi_sim/api/wire.py) returns: the side's levels best first, each as
 *     "<price * tick>.0":{"marketVolume":<volume>.0,"userVolume":<own volume>.0}
 * joined by commas. `book_side` is read through its attributes (side, sign, levels, keys), so it
 * works on the compiled engine's layout and on the pure-Python one alike; `own` is None or a dict
 * (side, price) -> open volume, as the engine's `own_volumes` gives it.
 *
 * Every book change a subscriber sees is rendered here, once per side that moved: in a backtest that
 * is hundreds of thousands of calls, and the Python loop cost several microseconds each.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

static PyObject *str_side, *str_sign, *str_levels, *str_keys, *str_volume;

/* Longest level text: 3 numbers of up to 20 characters plus 40 of punctuation; 128 leaves room. */
#define LEVEL_MAX 128

static char *write_ll(char *out, long long value)
{
    char digits[24];
    int n = 0;
    unsigned long long v;
    if (value < 0) {
        *out++ = '-';
        v = 0ULL - (unsigned long long)value;
    }
    else {
        v = (unsigned long long)value;
    }
    do {
        digits[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n)
        *out++ = digits[--n];
    return out;
}

static char *write_text(char *out, const char *text)
{
    while (*text)
        *out++ = *text++;
    return out;
}

static int as_ll(PyObject *obj, long long *value, const char *what)
{
    if (!PyLong_Check(obj)) {
        PyErr_Format(PyExc_TypeError, "render_side: %s must be an int, not %.100s", what, Py_TYPE(obj)->tp_name);
        return -1;
    }
    *value = PyLong_AsLongLong(obj);
    return (*value == -1 && PyErr_Occurred()) ? -1 : 0;
}

static PyObject *render_side(PyObject *module, PyObject *args)
{
    PyObject *book_side, *own, *tick_obj;
    PyObject *side = NULL, *sign_obj = NULL, *levels = NULL, *keys = NULL, *result = NULL;
    char *buffer = NULL, *out;
    long long sign, tick;
    int has_own;
    Py_ssize_t n;

    if (!PyArg_ParseTuple(args, "OOO!:render_side", &book_side, &own, &PyLong_Type, &tick_obj))
        return NULL;
    if (own != Py_None && !PyDict_Check(own)) {
        PyErr_Format(PyExc_TypeError, "render_side: own must be None or a dict, not %.100s", Py_TYPE(own)->tp_name);
        return NULL;
    }
    if (as_ll(tick_obj, &tick, "tick") < 0)
        return NULL;
    if ((side = PyObject_GetAttr(book_side, str_side)) == NULL ||
        (sign_obj = PyObject_GetAttr(book_side, str_sign)) == NULL ||
        (levels = PyObject_GetAttr(book_side, str_levels)) == NULL ||
        (keys = PyObject_GetAttr(book_side, str_keys)) == NULL)
        goto done;
    if (!PyDict_Check(levels) || !PyList_Check(keys)) {
        PyErr_SetString(PyExc_TypeError, "render_side: book_side.levels must be a dict and .keys a list");
        goto done;
    }
    if (as_ll(sign_obj, &sign, "book_side.sign") < 0)
        goto done;
    if (sign != 1 && sign != -1) {
        PyErr_SetString(PyExc_ValueError, "render_side: book_side.sign must be 1 or -1");
        goto done;
    }
    has_own = own != Py_None && PyDict_GET_SIZE(own) > 0;
    /* The list is held (keys), and nothing below runs Python code: int and tuple-of-int hashing and
     * comparison are C, so the book cannot change under the loop. */
    n = PyList_GET_SIZE(keys);
    buffer = PyMem_Malloc((size_t)(n ? n : 1) * LEVEL_MAX);
    if (buffer == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    out = buffer;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *key = PyList_GET_ITEM(keys, i);
        long long key_value, price, volume, own_volume = 0, shown_price;
        if (as_ll(key, &key_value, "a book key") < 0)
            goto done;
        price = key_value * sign;
        PyObject *price_obj;
        if (sign == 1) {
            price_obj = Py_NewRef(key);
        }
        else if ((price_obj = PyLong_FromLongLong(price)) == NULL) {
            goto done;
        }
        PyObject *level = PyDict_GetItemWithError(levels, price_obj); /* borrowed */
        if (level == NULL) {
            if (!PyErr_Occurred())
                PyErr_Format(PyExc_KeyError, "render_side: no level at price %lld", price);
            Py_DECREF(price_obj);
            goto done;
        }
        PyObject *volume_obj = PyObject_GetAttr(level, str_volume);
        if (volume_obj == NULL || as_ll(volume_obj, &volume, "a level's volume") < 0) {
            Py_XDECREF(volume_obj);
            Py_DECREF(price_obj);
            goto done;
        }
        Py_DECREF(volume_obj);
        if (has_own) {
            PyObject *where = PyTuple_Pack(2, side, price_obj);
            if (where == NULL) {
                Py_DECREF(price_obj);
                goto done;
            }
            PyObject *mine = PyDict_GetItemWithError(own, where); /* borrowed */
            Py_DECREF(where);
            if (mine == NULL && PyErr_Occurred()) {
                Py_DECREF(price_obj);
                goto done;
            }
            if (mine != NULL && as_ll(mine, &own_volume, "an own volume") < 0) {
                Py_DECREF(price_obj);
                goto done;
            }
        }
        Py_DECREF(price_obj);
        if (__builtin_mul_overflow(price, tick, &shown_price)) {
            PyErr_Format(PyExc_OverflowError, "render_side: price %lld times tick %lld", price, tick);
            goto done;
        }
        if (i)
            *out++ = ',';
        *out++ = '"';
        out = write_ll(out, shown_price);
        out = write_text(out, ".0\":{\"marketVolume\":");
        out = write_ll(out, volume);
        out = write_text(out, ".0,\"userVolume\":");
        out = write_ll(out, own_volume);
        out = write_text(out, ".0}");
    }
    result = PyBytes_FromStringAndSize(buffer, out - buffer);
done:
    PyMem_Free(buffer);
    Py_XDECREF(side);
    Py_XDECREF(sign_obj);
    Py_XDECREF(levels);
    Py_XDECREF(keys);
    return result;
}

static PyMethodDef methods[] = {
    {"render_side", render_side, METH_VARARGS,
     "render_side(book_side, own, tick) -> bytes: one side of an SSE order event, best level first."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_csse", "The SSE order event's per-level loop, compiled.", -1, methods,
    NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC PyInit__csse(void)
{
    if ((str_side = PyUnicode_InternFromString("side")) == NULL ||
        (str_sign = PyUnicode_InternFromString("sign")) == NULL ||
        (str_levels = PyUnicode_InternFromString("levels")) == NULL ||
        (str_keys = PyUnicode_InternFromString("keys")) == NULL ||
        (str_volume = PyUnicode_InternFromString("volume")) == NULL)
        return NULL;
    return PyModule_Create(&module);
}
