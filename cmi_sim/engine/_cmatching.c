/* The matching engine's hot path in C: `submit`, `cancel`, `accepted` and `own_volumes`, plus the two
 * structures they walk.
 *
 * An accelerator in the standard library's manner (heapq/_heapq, json/_json): `matching.py` holds the
 * reference implementation in Python, and this module must behave exactly like it, event for event.
 * The tests run every engine scenario, the state machine and the differential matcher against both.
 *
 * The data model is the Python one: per product a tuple (None, bids, asks); a side holds a dict of
 * levels keyed by price and a sorted list of keys (price * sign, best first); a level holds a dict of
 * order id -> open volume in time priority. Only the layouts live here, so that the Python code
 * (depth views, reduce, the wire renderer) reads the same objects through attributes, and the C code
 * reaches the fields directly. Prices and volumes are bounded (see MAX_QUANTITY) so that every sum
 * fits in 64 bits: a level would need 2**32 orders of the largest size to overflow.
 *
 * Pure, like the rest of the engine: no I/O, clock, threads or globals other than the event types
 * and interned strings set up once.
 */

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <structmember.h>

#define MAX_QUANTITY 2147483647LL /* keep in step with events.MAX_QUANTITY */

/* Event types and constants, handed over by matching.py through `configure()`. */
static PyTypeObject *OrderAcceptedType, *FillType, *OrderCancelledType, *CancelRejectedType;
static PyObject *str_user, *str_self_trade, *str_unknown_order, *str_no_such_order, *str_empty;
static PyObject *str_rejection;

/* ------------------------------------------------------------------------------------------------ */
/* Level: the resting orders at one price on one side.                                              */

typedef struct {
    PyObject_HEAD
    PyObject *price;  /* the price as a Python int: the key in the side's dict */
    long long volume; /* open volume of the whole level */
    PyObject *orders; /* dict: order id -> open volume, oldest first */
} LevelObject;

static PyTypeObject LevelType;

static LevelObject *
level_create(PyObject *price)
{
    LevelObject *level = PyObject_GC_New(LevelObject, &LevelType);
    if (level == NULL)
        return NULL;
    level->orders = PyDict_New();
    if (level->orders == NULL) {
        level->price = NULL;
        Py_DECREF(level);
        return NULL;
    }
    level->price = Py_NewRef(price);
    level->volume = 0;
    PyObject_GC_Track(level);
    return level;
}

static PyObject *
level_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"price", NULL};
    PyObject *price;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "O!:Level", kwlist, &PyLong_Type, &price))
        return NULL;
    return (PyObject *)level_create(price);
}

static int
level_traverse(LevelObject *self, visitproc visit, void *arg)
{
    Py_VISIT(self->price);
    Py_VISIT(self->orders);
    return 0;
}

static int
level_clear(LevelObject *self)
{
    Py_CLEAR(self->price);
    Py_CLEAR(self->orders);
    return 0;
}

static void
level_dealloc(LevelObject *self)
{
    PyObject_GC_UnTrack(self);
    level_clear(self);
    PyObject_GC_Del(self);
}

static PyMemberDef level_members[] = {
    {"price", T_OBJECT, offsetof(LevelObject, price), READONLY, "the level's price, in ticks"},
    {"volume", T_LONGLONG, offsetof(LevelObject, volume), 0, "open volume of the level"},
    {"orders", T_OBJECT, offsetof(LevelObject, orders), READONLY, "order id -> open volume, oldest first"},
    {NULL},
};

static PyTypeObject LevelType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "cmi_sim.engine._cmatching.Level",
    .tp_doc = "All resting orders at one price on one side, in time priority.",
    .tp_basicsize = sizeof(LevelObject),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC,
    .tp_new = level_new,
    .tp_traverse = (traverseproc)level_traverse,
    .tp_clear = (inquiry)level_clear,
    .tp_dealloc = (destructor)level_dealloc,
    .tp_members = level_members,
};

/* ------------------------------------------------------------------------------------------------ */
/* BookSideCore: the levels of one side; book.py adds the methods in a subclass.                   */

typedef struct {
    PyObject_HEAD
    int side;         /* 1 (BUY, the bids) or -1 (SELL, the asks) */
    int sign;         /* -1 for bids, +1 for asks: the best level has the smallest key */
    PyObject *levels; /* dict: price -> Level */
    PyObject *keys;   /* list of price * sign of the live levels, ascending: best first */
} SideObject;

static PyTypeObject SideType;

static PyObject *
side_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"side", NULL};
    int side;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "i:BookSide", kwlist, &side))
        return NULL;
    if (side != 1 && side != -1) {
        PyErr_Format(PyExc_ValueError, "side must be 1 (BUY) or -1 (SELL), got %d", side);
        return NULL;
    }
    SideObject *self = (SideObject *)type->tp_alloc(type, 0);
    if (self == NULL)
        return NULL;
    self->side = side;
    self->sign = side == 1 ? -1 : 1;
    self->levels = PyDict_New();
    self->keys = PyList_New(0);
    if (self->levels == NULL || self->keys == NULL) {
        Py_DECREF(self);
        return NULL;
    }
    return (PyObject *)self;
}

static int
side_traverse(SideObject *self, visitproc visit, void *arg)
{
    Py_VISIT(self->levels);
    Py_VISIT(self->keys);
    return 0; /* a Python subclass's own traverse visits its type and __dict__ */
}

static int
side_clear(SideObject *self)
{
    Py_CLEAR(self->levels);
    Py_CLEAR(self->keys);
    return 0;
}

/* A Python subclass's dealloc releases its type; this one frees the object. */
static void
side_dealloc(SideObject *self)
{
    PyObject_GC_UnTrack(self);
    side_clear(self);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyMemberDef side_members[] = {
    {"side", T_INT, offsetof(SideObject, side), READONLY, "1 for the bids, -1 for the asks"},
    {"sign", T_INT, offsetof(SideObject, sign), READONLY, "-1 for the bids, +1 for the asks"},
    {"levels", T_OBJECT, offsetof(SideObject, levels), READONLY, "price -> Level"},
    {"keys", T_OBJECT, offsetof(SideObject, keys), READONLY, "price * sign of the live levels, best first"},
    {NULL},
};

static PyTypeObject SideType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "cmi_sim.engine._cmatching.BookSideCore",
    .tp_doc = "The levels of one side of a book (the layout; book.BookSide adds the methods).",
    .tp_basicsize = sizeof(SideObject),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_BASETYPE,
    .tp_new = side_new,
    .tp_traverse = (traverseproc)side_traverse,
    .tp_clear = (inquiry)side_clear,
    .tp_dealloc = (destructor)side_dealloc,
    .tp_members = side_members,
};

/* Index of the first key >= `key` in the ascending list `keys` (bisect_left). */
static Py_ssize_t
bisect_keys(PyObject *keys, long long key)
{
    Py_ssize_t lo = 0, hi = PyList_GET_SIZE(keys);
    while (lo < hi) {
        Py_ssize_t mid = (lo + hi) / 2;
        if (PyLong_AsLongLong(PyList_GET_ITEM(keys, mid)) < key)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static LevelObject *
side_add_level(SideObject *side, PyObject *price_obj, long long price)
{
    LevelObject *level = level_create(price_obj);
    if (level == NULL)
        return NULL;
    long long key = price * side->sign;
    PyObject *key_obj = PyLong_FromLongLong(key);
    if (key_obj == NULL || PyDict_SetItem(side->levels, price_obj, (PyObject *)level) < 0 ||
        PyList_Insert(side->keys, bisect_keys(side->keys, key), key_obj) < 0) {
        Py_XDECREF(key_obj);
        Py_DECREF(level);
        return NULL;
    }
    Py_DECREF(key_obj);
    Py_DECREF(level); /* the levels dict holds it */
    return level;
}

static int
side_drop_level(SideObject *side, PyObject *price_obj, long long price)
{
    if (PyDict_DelItem(side->levels, price_obj) < 0)
        return -1;
    Py_ssize_t at = bisect_keys(side->keys, price * side->sign);
    return PyList_SetSlice(side->keys, at, at + 1, NULL);
}

/* ------------------------------------------------------------------------------------------------ */
/* EngineCore: the state the hot path works on. matching.MatchingEngine sets it up in __init__.    */

typedef struct {
    PyObject_HEAD
    PyObject *sides;    /* dict: product -> (None, bids, asks) */
    PyObject *orders;   /* dict: resting order id -> its OrderAccepted */
    PyObject *by_owner; /* dict: owner -> {order id -> OrderAccepted}, oldest first */
    PyObject *seq;      /* iterator of sequence numbers (may be shared with the caller) */
    PyObject *next_seq; /* its bound __next__, for the Python methods */
    long long last_id;  /* the last order id given out */
    char prevent;       /* self-trade prevention: cancel the owner's resting orders it would hit */
} EngineObject;

static int
engine_traverse(EngineObject *self, visitproc visit, void *arg)
{
    Py_VISIT(self->sides);
    Py_VISIT(self->orders);
    Py_VISIT(self->by_owner);
    Py_VISIT(self->seq);
    Py_VISIT(self->next_seq);
    return 0;
}

static int
engine_clear(EngineObject *self)
{
    Py_CLEAR(self->sides);
    Py_CLEAR(self->orders);
    Py_CLEAR(self->by_owner);
    Py_CLEAR(self->seq);
    Py_CLEAR(self->next_seq);
    return 0;
}

static void
engine_dealloc(EngineObject *self)
{
    PyObject_GC_UnTrack(self);
    engine_clear(self);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static int
engine_ready(EngineObject *self)
{
    if (self->sides && PyDict_CheckExact(self->sides) && self->orders && PyDict_CheckExact(self->orders) &&
        self->by_owner && PyDict_Check(self->by_owner) && self->seq && Py_TYPE(self->seq)->tp_iternext &&
        OrderAcceptedType)
        return 1;
    PyErr_SetString(PyExc_RuntimeError, "engine state is not set up (MatchingEngine.__init__ sets it)");
    return 0;
}

static PyObject *
next_seq(EngineObject *self)
{
    PyObject *seq = Py_TYPE(self->seq)->tp_iternext(self->seq);
    if (seq == NULL && !PyErr_Occurred())
        PyErr_SetString(PyExc_RuntimeError, "the sequence of event numbers is exhausted");
    return seq;
}

/* Stop the collector tracking a finished event whose fields are all atomic (ints, strings, None): it
 * cannot be part of a reference cycle, so tracking it only makes every collection slower. CPython does
 * the same for plain tuples, lazily, at their first collection; events are kept (the exchange's log),
 * so doing it at once spares the collector most of its work. */
static inline void
untrack_if_atomic(PyObject *event)
{
    for (Py_ssize_t i = PyTuple_GET_SIZE(event); i--;)
        if (PyObject_IS_GC(PyTuple_GET_ITEM(event, i)))
            return;
    PyObject_GC_UnTrack(event);
}

/* A new event of a NamedTuple `type`: the next sequence number, then `fields` (borrowed), built as
 * tuple.__new__ would build it. NULL on error. */
static PyObject *
make_event(EngineObject *self, PyTypeObject *type, Py_ssize_t nfields, PyObject *const *fields)
{
    PyObject *event = type->tp_alloc(type, nfields + 1);
    if (event == NULL)
        return NULL;
    PyObject *seq = next_seq(self);
    if (seq == NULL) {
        Py_DECREF(event);
        return NULL;
    }
    PyTuple_SET_ITEM(event, 0, seq);
    for (Py_ssize_t i = 0; i < nfields; i++)
        PyTuple_SET_ITEM(event, i + 1, Py_NewRef(fields[i]));
    untrack_if_atomic(event);
    return event;
}

/* [event], stealing the reference; NULL (and the event released) on error. */
static PyObject *
list_of(PyObject *event)
{
    if (event == NULL)
        return NULL;
    PyObject *events = PyList_New(1);
    if (events == NULL) {
        Py_DECREF(event);
        return NULL;
    }
    PyList_SET_ITEM(events, 0, event);
    return events;
}

/* The side of `product` indexed like the Python code: 1 the bids, -1 the asks. Borrowed. */
static SideObject *
get_side(PyObject *sides, int side)
{
    PyObject *item = PyTuple_GET_ITEM(sides, side == 1 ? 1 : 2);
    if (!PyObject_TypeCheck(item, &SideType)) {
        PyErr_SetString(PyExc_TypeError, "an engine book side is not a BookSide");
        return NULL;
    }
    return (SideObject *)item;
}

static int
valid_sides(PyObject *sides)
{
    if (PyTuple_CheckExact(sides) && PyTuple_GET_SIZE(sides) == 3)
        return 1;
    PyErr_SetString(PyExc_TypeError, "an engine product entry is not (None, bids, asks)");
    return 0;
}

/* Remove `order_id` (owned by `owner`) from the order indexes. */
static int
forget_order(EngineObject *self, PyObject *order_id, PyObject *owner)
{
    if (PyDict_DelItem(self->orders, order_id) < 0)
        return -1;
    PyObject *mine = PyDict_GetItemWithError(self->by_owner, owner);
    if (mine == NULL) {
        if (!PyErr_Occurred())
            PyErr_SetObject(PyExc_KeyError, owner);
        return -1;
    }
    return PyDict_DelItem(mine, order_id);
}

/* Fill the taker against `opposite` as far as its limit allows. Returns the volume left, or -1. */
static long long
match(EngineObject *self, PyObject *ts, PyObject *taker_id, PyObject *owner, PyObject *product,
      PyObject *side_obj, int side, long long price, long long remaining, SideObject *opposite,
      PyObject *events)
{
    PyObject *levels = opposite->levels, *keys = opposite->keys;
    long long limit_key = price * side;
    while (PyList_GET_SIZE(keys)) {
        long long key = PyLong_AsLongLong(PyList_GET_ITEM(keys, 0));
        if (key > limit_key)
            break;
        long long level_price = key * side; /* the opposite side's sign is the taker's side */
        PyObject *price_obj = PyLong_FromLongLong(level_price);
        if (price_obj == NULL)
            return -1;
        PyObject *found = PyDict_GetItemWithError(levels, price_obj);
        Py_DECREF(price_obj);
        if (found == NULL || !PyObject_TypeCheck(found, &LevelType)) {
            if (!PyErr_Occurred())
                PyErr_SetString(PyExc_RuntimeError, "a book key has no level");
            return -1;
        }
        LevelObject *level = (LevelObject *)Py_NewRef(found);
        PyObject *queue = level->orders, *level_price_obj = level->price;
        while (PyDict_GET_SIZE(queue)) {
            Py_ssize_t pos = 0;
            PyObject *maker_id, *maker_volume;
            PyDict_Next(queue, &pos, &maker_id, &maker_volume); /* time priority: oldest first */
            Py_INCREF(maker_id);
            long long maker_remaining = PyLong_AsLongLong(maker_volume);
            PyObject *maker = PyDict_GetItemWithError(self->orders, maker_id);
            if (maker == NULL) {
                if (!PyErr_Occurred())
                    PyErr_SetString(PyExc_RuntimeError, "a resting order is missing from the index");
                Py_DECREF(maker_id);
                goto fail_level;
            }
            PyObject *maker_owner = Py_NewRef(PyTuple_GET_ITEM(maker, 3));
            PyObject *event;
            if (self->prevent) {
                int same = PyObject_RichCompareBool(maker_owner, owner, Py_EQ);
                if (same < 0) {
                    Py_DECREF(maker_owner);
                    Py_DECREF(maker_id);
                    goto fail_level;
                }
                if (same) {
                    PyObject *maker_side = PyLong_FromLong(-side);
                    if (maker_side != NULL) {
                        PyObject *fields[] = {ts, maker_id, owner, product, maker_side, level_price_obj,
                                              maker_volume, str_self_trade};
                        event = make_event(self, OrderCancelledType, 8, fields);
                        Py_DECREF(maker_side);
                    }
                    if (maker_side == NULL || event == NULL) {
                        Py_DECREF(maker_owner);
                        Py_DECREF(maker_id);
                        goto fail_level;
                    }
                    level->volume -= maker_remaining;
                    int failed = PyList_Append(events, event) < 0 || PyDict_DelItem(queue, maker_id) < 0 ||
                                 forget_order(self, maker_id, owner) < 0;
                    Py_DECREF(event);
                    Py_DECREF(maker_owner);
                    Py_DECREF(maker_id);
                    if (failed)
                        goto fail_level;
                    continue;
                }
            }
            long long qty = remaining < maker_remaining ? remaining : maker_remaining;
            maker_remaining -= qty;
            level->volume -= qty;
            remaining -= qty;
            PyObject *qty_obj = PyLong_FromLongLong(qty);
            PyObject *left_obj = qty_obj ? PyLong_FromLongLong(maker_remaining) : NULL;
            event = NULL;
            if (left_obj != NULL) {
                PyObject *fields[] = {ts, product, level_price_obj, qty_obj, taker_id, owner, maker_id,
                                      maker_owner, side_obj, left_obj};
                event = make_event(self, FillType, 10, fields);
            }
            Py_XDECREF(qty_obj);
            if (event == NULL) {
                Py_XDECREF(left_obj);
                Py_DECREF(maker_owner);
                Py_DECREF(maker_id);
                goto fail_level;
            }
            int failed = PyList_Append(events, event) < 0;
            Py_DECREF(event);
            if (!failed) {
                if (maker_remaining)
                    failed = PyDict_SetItem(queue, maker_id, left_obj) < 0;
                else
                    failed = PyDict_DelItem(queue, maker_id) < 0 || forget_order(self, maker_id, maker_owner) < 0;
            }
            Py_DECREF(left_obj);
            Py_DECREF(maker_owner);
            Py_DECREF(maker_id);
            if (failed)
                goto fail_level;
            if (!remaining)
                break;
        }
        if (!PyDict_GET_SIZE(queue)) {
            if (PyDict_DelItem(levels, level_price_obj) < 0 || PyList_SetSlice(keys, 0, 1, NULL) < 0)
                goto fail_level;
        }
        Py_DECREF(level);
        if (!remaining)
            break;
        continue;
    fail_level:
        Py_DECREF(level);
        return -1;
    }
    return remaining;
}

/* The in-range value of an exact int, or 0 when it is not one or is out of 1..MAX_QUANTITY. */
static long long
quantity(PyObject *value)
{
    if (!PyLong_CheckExact(value))
        return 0;
    int overflow;
    long long v = PyLong_AsLongLongAndOverflow(value, &overflow);
    return overflow || v <= 0 || v > MAX_QUANTITY ? 0 : v;
}

/* [the Python engine's rejection of this order]: its messages stay in one place. */
static PyObject *
reject_order(EngineObject *self, PyObject *const *args)
{
    PyObject *call_args[7] = {(PyObject *)self, args[0], args[1], args[2], args[3], args[4], args[5]};
    return list_of(PyObject_VectorcallMethod(str_rejection, call_args, 7, NULL));
}

static PyObject *
engine_submit(EngineObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 6) {
        PyErr_Format(PyExc_TypeError, "submit() takes 6 arguments (ts, owner, product, side, price, volume), "
                     "%zd given", nargs);
        return NULL;
    }
    if (!engine_ready(self))
        return NULL;
    PyObject *ts = args[0], *owner = args[1], *product = args[2], *side_obj = args[3];
    PyObject *price_obj = args[4], *volume_obj = args[5];
    PyObject *sides = PyDict_GetItemWithError(self->sides, product);
    if (sides == NULL) {
        if (PyErr_Occurred())
            return NULL;
        return reject_order(self, args);
    }
    long long price = quantity(price_obj), volume = quantity(volume_obj);
    int overflow = 0;
    long side = PyLong_CheckExact(side_obj) ? PyLong_AsLongAndOverflow(side_obj, &overflow) : 0;
    if (!price || !volume || overflow || (side != 1 && side != -1))
        return reject_order(self, args);
    if (!valid_sides(sides))
        return NULL;
    SideObject *own_side = get_side(sides, side), *opposite = own_side ? get_side(sides, -side) : NULL;
    if (opposite == NULL)
        return NULL;

    PyObject *order_id = PyLong_FromLongLong(self->last_id + 1);
    if (order_id == NULL)
        return NULL;
    self->last_id++;
    PyObject *fields[] = {ts, order_id, owner, product, side_obj, price_obj, volume_obj};
    PyObject *accepted = make_event(self, OrderAcceptedType, 7, fields);
    PyObject *events = list_of(accepted); /* the list holds the reference; `accepted` is borrowed below */
    if (events == NULL) {
        Py_DECREF(order_id);
        return NULL;
    }

    long long remaining = volume;
    PyObject *keys = opposite->keys;
    if (PyList_GET_SIZE(keys) && PyLong_AsLongLong(PyList_GET_ITEM(keys, 0)) <= price * side) {
        remaining = match(self, ts, order_id, owner, product, side_obj, (int)side, price, volume, opposite, events);
        if (remaining < 0)
            goto fail;
        if (!remaining) {
            Py_DECREF(order_id);
            return events;
        }
    }
    /* Rest the remainder: its fixed fields live in the accepted event, its open volume in the level. */
    PyObject *found = PyDict_GetItemWithError(own_side->levels, price_obj);
    LevelObject *level;
    if (found != NULL && PyObject_TypeCheck(found, &LevelType))
        level = (LevelObject *)found;
    else if (found == NULL && !PyErr_Occurred())
        level = side_add_level(own_side, price_obj, price);
    else {
        if (!PyErr_Occurred())
            PyErr_SetString(PyExc_TypeError, "a book level is not a Level");
        goto fail;
    }
    if (level == NULL)
        goto fail;
    PyObject *remaining_obj = remaining == volume ? Py_NewRef(volume_obj) : PyLong_FromLongLong(remaining);
    if (remaining_obj == NULL)
        goto fail;
    int failed = PyDict_SetItem(level->orders, order_id, remaining_obj) < 0;
    Py_DECREF(remaining_obj);
    if (failed)
        goto fail;
    level->volume += remaining;
    if (PyDict_SetItem(self->orders, order_id, accepted) < 0)
        goto fail;
    PyObject *mine = PyDict_GetItemWithError(self->by_owner, owner);
    if (mine == NULL) {
        if (PyErr_Occurred() || (mine = PyDict_New()) == NULL)
            goto fail;
        failed = PyDict_SetItem(self->by_owner, owner, mine) < 0;
        Py_DECREF(mine); /* the index holds it */
        if (failed)
            goto fail;
    }
    if (PyDict_SetItem(mine, order_id, accepted) < 0)
        goto fail;
    Py_DECREF(order_id);
    return events;
fail:
    Py_DECREF(order_id);
    Py_DECREF(events);
    return NULL;
}

static PyObject *
unknown_order(EngineObject *self, PyObject *ts, PyObject *order_id, PyObject *owner)
{
    int named = owner == Py_None ? 0 : PyObject_IsTrue(owner);
    if (named < 0)
        return NULL;
    PyObject *fields[] = {ts, order_id, named ? owner : str_empty, str_unknown_order, str_no_such_order};
    return list_of(make_event(self, CancelRejectedType, 5, fields));
}

static PyObject *
engine_cancel(EngineObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames)
{
    static const char *const names[] = {"ts", "order_id", "owner", "reason"};
    PyObject *given[4] = {NULL, NULL, Py_None, str_user};
    Py_ssize_t npos = PyVectorcall_NARGS(nargs);
    if (npos > 4) {
        PyErr_Format(PyExc_TypeError, "cancel() takes at most 4 arguments (%zd given)", npos);
        return NULL;
    }
    for (Py_ssize_t i = 0; i < npos; i++)
        given[i] = args[i];
    Py_ssize_t nkw = kwnames ? PyTuple_GET_SIZE(kwnames) : 0;
    for (Py_ssize_t k = 0; k < nkw; k++) {
        const char *name = PyUnicode_AsUTF8(PyTuple_GET_ITEM(kwnames, k));
        if (name == NULL)
            return NULL;
        int at = -1;
        for (int i = 0; i < 4; i++)
            if (strcmp(name, names[i]) == 0)
                at = i;
        if (at < 0 || at < npos) {
            PyErr_Format(PyExc_TypeError, at < 0 ? "cancel() got an unexpected keyword argument '%s'"
                                                 : "cancel() got multiple values for argument '%s'", name);
            return NULL;
        }
        given[at] = args[npos + k];
    }
    if (given[0] == NULL || given[1] == NULL) {
        PyErr_SetString(PyExc_TypeError, "cancel() missing required arguments: 'ts' and 'order_id'");
        return NULL;
    }
    if (!engine_ready(self))
        return NULL;
    PyObject *ts = given[0], *order_id = given[1], *owner = given[2], *reason = given[3];

    PyObject *order = PyDict_GetItemWithError(self->orders, order_id);
    if (order == NULL) {
        if (PyErr_Occurred())
            return NULL;
        return unknown_order(self, ts, order_id, owner);
    }
    PyObject *order_owner = PyTuple_GET_ITEM(order, 3);
    if (owner != Py_None) {
        int other = PyObject_RichCompareBool(order_owner, owner, Py_NE);
        if (other < 0)
            return NULL;
        if (other)
            return unknown_order(self, ts, order_id, owner);
    }
    Py_INCREF(order); /* keeps its fields alive once it leaves the indexes */
    PyObject *product = PyTuple_GET_ITEM(order, 4), *side_obj = PyTuple_GET_ITEM(order, 5);
    PyObject *price_obj = PyTuple_GET_ITEM(order, 6), *the_id = PyTuple_GET_ITEM(order, 2);
    PyObject *events = NULL, *remaining_obj = NULL;
    PyObject *sides = PyDict_GetItemWithError(self->sides, product);
    if (sides == NULL || !valid_sides(sides)) {
        if (!PyErr_Occurred())
            PyErr_SetString(PyExc_RuntimeError, "a resting order's product has no book");
        goto done;
    }
    SideObject *book_side = get_side(sides, (int)PyLong_AsLong(side_obj));
    if (book_side == NULL)
        goto done;
    PyObject *found = PyDict_GetItemWithError(book_side->levels, price_obj);
    if (found == NULL || !PyObject_TypeCheck(found, &LevelType)) {
        if (!PyErr_Occurred())
            PyErr_SetString(PyExc_RuntimeError, "a resting order's level is missing");
        goto done;
    }
    LevelObject *level = (LevelObject *)found;
    remaining_obj = Py_XNewRef(PyDict_GetItemWithError(level->orders, the_id));
    if (remaining_obj == NULL) {
        if (!PyErr_Occurred())
            PyErr_SetString(PyExc_RuntimeError, "a resting order is missing from its level");
        goto done;
    }
    if (PyDict_DelItem(level->orders, the_id) < 0)
        goto done;
    level->volume -= PyLong_AsLongLong(remaining_obj);
    if (forget_order(self, the_id, order_owner) < 0)
        goto done;
    if (!PyDict_GET_SIZE(level->orders) &&
        side_drop_level(book_side, price_obj, PyLong_AsLongLong(price_obj)) < 0)
        goto done;
    /* the order id as given, like the Python engine */
    PyObject *fields[] = {ts, order_id, order_owner, product, side_obj, price_obj, remaining_obj, reason};
    events = list_of(make_event(self, OrderCancelledType, 8, fields));
done:
    Py_XDECREF(remaining_obj);
    Py_DECREF(order);
    return events;
}

static PyObject *
engine_accepted(EngineObject *self, PyObject *order_id)
{
    if (!engine_ready(self))
        return NULL;
    PyObject *order = PyDict_GetItemWithError(self->orders, order_id);
    if (order == NULL && PyErr_Occurred())
        return NULL;
    return Py_NewRef(order ? order : Py_None);
}

/* owner's open volume in product per (side, price): the SSE renderer asks on every book change. */
static PyObject *
engine_own_volumes(EngineObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 2) {
        PyErr_Format(PyExc_TypeError, "own_volumes() takes 2 arguments (owner, product), %zd given", nargs);
        return NULL;
    }
    if (!engine_ready(self))
        return NULL;
    PyObject *owner = args[0], *product = args[1];
    PyObject *own = PyDict_New();
    if (own == NULL)
        return NULL;
    PyObject *mine = PyDict_GetItemWithError(self->by_owner, owner);
    if (mine == NULL || !PyDict_GET_SIZE(mine)) {
        if (PyErr_Occurred())
            Py_CLEAR(own);
        return own;
    }
    PyObject *sides = PyDict_GetItemWithError(self->sides, product);
    if (sides == NULL) {
        if (!PyErr_Occurred())
            PyErr_SetObject(PyExc_KeyError, product);
        goto fail;
    }
    if (!valid_sides(sides))
        goto fail;
    Py_INCREF(mine); /* comparing products could run Python code */
    Py_ssize_t pos = 0;
    PyObject *order_id, *order;
    while (PyDict_Next(mine, &pos, &order_id, &order)) {
        int same = PyObject_RichCompareBool(PyTuple_GET_ITEM(order, 4), product, Py_EQ);
        if (same < 0)
            goto fail_mine;
        if (!same)
            continue;
        PyObject *side_obj = PyTuple_GET_ITEM(order, 5), *price = PyTuple_GET_ITEM(order, 6);
        SideObject *side = get_side(sides, (int)PyLong_AsLong(side_obj));
        if (side == NULL)
            goto fail_mine;
        PyObject *level = PyDict_GetItemWithError(side->levels, price);
        PyObject *open = level && PyObject_TypeCheck(level, &LevelType)
                             ? PyDict_GetItemWithError(((LevelObject *)level)->orders, PyTuple_GET_ITEM(order, 2))
                             : NULL;
        if (open == NULL) {
            if (!PyErr_Occurred())
                PyErr_SetString(PyExc_RuntimeError, "a resting order is missing from its level");
            goto fail_mine;
        }
        PyObject *key = PyTuple_Pack(2, side_obj, price);
        if (key == NULL)
            goto fail_mine;
        PyObject *before = PyDict_GetItemWithError(own, key);
        PyObject *total = before ? PyNumber_Add(before, open) : PyErr_Occurred() ? NULL : Py_NewRef(open);
        int failed = total == NULL || PyDict_SetItem(own, key, total) < 0;
        Py_XDECREF(total);
        Py_DECREF(key);
        if (failed)
            goto fail_mine;
    }
    Py_DECREF(mine);
    return own;
fail_mine:
    Py_DECREF(mine);
fail:
    Py_DECREF(own);
    return NULL;
}

static PyMethodDef engine_methods[] = {
    {"own_volumes", (PyCFunction)(void (*)(void))engine_own_volumes, METH_FASTCALL,
     "own_volumes(owner, product) -> {(side, price): open volume} (see matching.PyMatchingEngine)"},
    {"accepted", (PyCFunction)engine_accepted, METH_O,
     "accepted(order_id) -> the OrderAccepted of a resting order, or None (see matching.PyMatchingEngine)"},
    {"submit", (PyCFunction)(void (*)(void))engine_submit, METH_FASTCALL,
     "submit(ts, owner, product, side, price, volume) -> list of events (see matching.PyMatchingEngine)"},
    {"cancel", (PyCFunction)(void (*)(void))engine_cancel, METH_FASTCALL | METH_KEYWORDS,
     "cancel(ts, order_id, owner=None, reason='user') -> list of events (see matching.PyMatchingEngine)"},
    {NULL},
};

static PyMemberDef engine_members[] = {
    {"_sides", T_OBJECT, offsetof(EngineObject, sides), 0, "product -> (None, bids, asks)"},
    {"_orders", T_OBJECT, offsetof(EngineObject, orders), 0, "resting order id -> OrderAccepted"},
    {"_by_owner", T_OBJECT, offsetof(EngineObject, by_owner), 0, "owner -> {order id -> OrderAccepted}"},
    {"_seq", T_OBJECT, offsetof(EngineObject, seq), 0, "iterator of event sequence numbers"},
    {"_next_seq", T_OBJECT, offsetof(EngineObject, next_seq), 0, "the bound __next__ of _seq"},
    {"_last_id", T_LONGLONG, offsetof(EngineObject, last_id), 0, "the last order id given out"},
    {"prevent_self_trade", T_BOOL, offsetof(EngineObject, prevent), 0, "cancel own resting orders hit"},
    {NULL},
};

static PyTypeObject EngineType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "cmi_sim.engine._cmatching.EngineCore",
    .tp_doc = "The engine's hot path in C over its state (matching.MatchingEngine sets it up).",
    .tp_basicsize = sizeof(EngineObject),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_BASETYPE,
    .tp_new = PyType_GenericNew,
    .tp_traverse = (traverseproc)engine_traverse,
    .tp_clear = (inquiry)engine_clear,
    .tp_dealloc = (destructor)engine_dealloc,
    .tp_methods = engine_methods,
    .tp_members = engine_members,
};

/* ------------------------------------------------------------------------------------------------ */

static int
take_type(PyObject *value, PyTypeObject **slot, const char *name)
{
    if (!PyType_Check(value) || !PyType_IsSubtype((PyTypeObject *)value, &PyTuple_Type)) {
        PyErr_Format(PyExc_TypeError, "configure(): %s must be a tuple subclass", name);
        return -1;
    }
    Py_XSETREF(*slot, (PyTypeObject *)Py_NewRef(value));
    return 0;
}

static PyObject *
configure(PyObject *module, PyObject *args)
{
    PyObject *accepted, *fill, *cancelled, *cancel_rejected;
    if (!PyArg_ParseTuple(args, "OOOO:configure", &accepted, &fill, &cancelled, &cancel_rejected))
        return NULL;
    if (take_type(accepted, &OrderAcceptedType, "OrderAccepted") < 0 || take_type(fill, &FillType, "Fill") < 0 ||
        take_type(cancelled, &OrderCancelledType, "OrderCancelled") < 0 ||
        take_type(cancel_rejected, &CancelRejectedType, "CancelRejected") < 0)
        return NULL;
    Py_RETURN_NONE;
}

static PyMethodDef module_methods[] = {
    {"configure", configure, METH_VARARGS,
     "configure(OrderAccepted, Fill, OrderCancelled, CancelRejected): the event types to build"},
    {NULL},
};

static struct PyModuleDef cmatching_module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "cmi_sim.engine._cmatching",
    .m_doc = "The matching engine's submit and cancel in C; matching.py is the reference.",
    .m_size = -1,
    .m_methods = module_methods,
};

PyMODINIT_FUNC
PyInit__cmatching(void)
{
    if (PyType_Ready(&LevelType) < 0 || PyType_Ready(&SideType) < 0 || PyType_Ready(&EngineType) < 0)
        return NULL;
    str_user = PyUnicode_InternFromString("user");
    str_self_trade = PyUnicode_InternFromString("self_trade");
    str_unknown_order = PyUnicode_InternFromString("unknown_order");
    str_no_such_order = PyUnicode_InternFromString("no such open order");
    str_empty = PyUnicode_InternFromString("");
    str_rejection = PyUnicode_InternFromString("_rejection");
    if (!str_user || !str_self_trade || !str_unknown_order || !str_no_such_order || !str_empty || !str_rejection)
        return NULL;
    PyObject *module = PyModule_Create(&cmatching_module);
    if (module == NULL)
        return NULL;
    if (PyModule_AddIntConstant(module, "MAX_QUANTITY", MAX_QUANTITY) < 0 ||
        PyModule_AddObjectRef(module, "Level", (PyObject *)&LevelType) < 0 ||
        PyModule_AddObjectRef(module, "BookSideCore", (PyObject *)&SideType) < 0 ||
        PyModule_AddObjectRef(module, "EngineCore", (PyObject *)&EngineType) < 0) {
        Py_DECREF(module);
        return NULL;
    }
    return module;
}
