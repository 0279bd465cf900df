/* One pass over a whole AIS NMEA text: line splitting, tag blocks, checksums, sentence checks,
 * multi-sentence assembly and 6-bit de-armouring, for `seawatch.sources.ais_scan`.
 *
 * It follows `seawatch.sources.nmea.NmeaAisDecoder` rule for rule. Lines it reads itself are the
 * usual ones (a tag block of `key:value` fields with `c:` digits, `s:` and `g:`; `!xxVDM`/`!xxVDO`
 * with one-digit fragment fields and fill bits, no trailer). Every other line is handed to the
 * Python `classify(line)` callback (`nmea.parse_line`) and its verdict feeds the same assembly, so
 * the state of pending fragments never depends on which side read a line.
 *
 * Out: complete messages (first line, receive time, station, where their lines are), in groups of
 * one type, sub-type and bit length (each group's payloads packed into big-endian 64-bit words, one
 * array per word position),
 * rejects (line, byte span, reason code and two numbers for the reasons that carry them) and counts.
 * Field values are left to numpy (ais_fast.py), which applies pyais's own decoder plans.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define MAX_PAYLOAD_LEN 200 /* pyais.messages.MAX_PAYLOAD_LEN */
#define MAX_FRAG_CNT 9      /* pyais.messages.MAX_FRAG_CNT */
#define SEQ_NONE INT64_MIN
#define MS_EPOCH_THRESHOLD 1e11 /* tagblock.MS_EPOCH_THRESHOLD */
#define MAX_EPOCH 2.5e11        /* well inside datetime's range; beyond it Python judges */

/* reject codes (ais_scan.py holds their texts); codes >= 100 come from `classify` */
enum {
    R_NOT_ASCII = 1,
    R_NO_START,
    R_TAG_UNTERMINATED,
    R_TAG_CHECKSUM,
    R_MISSING_CHECKSUM,
    R_CHECKSUM_MISMATCH,
    R_MALFORMED_FIELDS,
    R_BAD_PAYLOAD_CHAR,
    R_FILL_NOT_LAST,
    R_EMPTY_PAYLOAD,
    R_ORPHAN_INCOMPLETE, /* a = fragments held, b = total */
    R_ORPHAN_NO_FIRST,   /* a = fragment number, b = total */
};

enum { SKIP_BLANK = 0, SKIP_COMMENT = 1, SKIP_FOREIGN = 2 };

/* ---- output arrays -----------------------------------------------------------------------------
 * Each is a bytes object sized for the most it can hold (pages never written cost nothing), filled
 * in place and shrunk to its length at the end: no regrowth, no copy. */

typedef struct {
    PyObject *obj;
    char *p;
    size_t n, cap, elem;
} Out;

static int out_init(Out *o, size_t cap, size_t elem) {
    o->obj = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)(cap * elem));
    if (!o->obj) return -1;
    o->p = PyBytes_AS_STRING(o->obj);
    o->n = 0;
    o->cap = cap;
    o->elem = elem;
    return 0;
}

/* the finished bytes object (the reference passes to the caller) */
static PyObject *out_finish(Out *o) {
    if (!o->obj) return PyBytes_FromStringAndSize("", 0);
    if (_PyBytes_Resize(&o->obj, (Py_ssize_t)(o->n * o->elem)) < 0) return NULL;
    PyObject *r = o->obj;
    o->obj = NULL;
    return r;
}

/* for arrays without a bound known up front (a group's messages): grow by doubling, in place */
static int out_reserve(Out *o, size_t need, size_t elem) {
    if (o->obj && o->n + need <= o->cap) return 0;
    size_t cap = o->cap ? o->cap * 2 : 64;
    while (cap < o->n + need) cap *= 2;
    if (!o->obj) {
        o->obj = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)(cap * elem));
        if (!o->obj) return -1;
    } else if (_PyBytes_Resize(&o->obj, (Py_ssize_t)(cap * elem)) < 0) {
        return -1;
    }
    o->p = PyBytes_AS_STRING(o->obj);
    o->cap = cap;
    o->elem = elem;
    return 0;
}

#define OUT_PUSH(o, T, val)                                                               \
    do {                                                                                  \
        if ((o).n >= (o).cap) {                                                           \
            PyErr_SetString(PyExc_RuntimeError, "_nmea_scan: an output bound was exceeded"); \
            return -1;                                                                    \
        }                                                                                 \
        ((T *)(o).p)[(o).n++] = (val);                                                    \
    } while (0)

/* ---- interned strings (stations, channels) -------------------------------------------------- */

typedef struct {
    char *arena;
    size_t arena_n, arena_cap;
    size_t *off;   /* per code: offset, length in the arena */
    size_t *len;
    int32_t n, cap;
    int32_t *slots; /* open addressing: code + 1, 0 empty */
    int32_t nslots;
} Intern;

static uint64_t hash_bytes(const char *s, size_t n) {
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < n; i++) h = (h ^ (unsigned char)s[i]) * 1099511628211ULL;
    return h;
}

static int intern_rehash(Intern *t, int32_t nslots) {
    int32_t *slots = calloc((size_t)nslots, sizeof(int32_t));
    if (!slots) {
        PyErr_NoMemory();
        return -1;
    }
    for (int32_t c = 0; c < t->n; c++) {
        uint64_t h = hash_bytes(t->arena + t->off[c], t->len[c]);
        int32_t k = (int32_t)(h & (uint64_t)(nslots - 1));
        while (slots[k]) k = (k + 1) & (nslots - 1);
        slots[k] = c + 1;
    }
    free(t->slots);
    t->slots = slots;
    t->nslots = nslots;
    return 0;
}

/* code of the string, adding it when new; -2 on error */
static int32_t intern(Intern *t, const char *s, size_t n) {
    if (t->nslots == 0 && intern_rehash(t, 64) < 0) return -2;
    uint64_t h = hash_bytes(s, n);
    int32_t k = (int32_t)(h & (uint64_t)(t->nslots - 1));
    while (t->slots[k]) {
        int32_t c = t->slots[k] - 1;
        if (t->len[c] == n && memcmp(t->arena + t->off[c], s, n) == 0) return c;
        k = (k + 1) & (t->nslots - 1);
    }
    if (t->n == t->cap) {
        int32_t cap = t->cap ? t->cap * 2 : 64;
        size_t *off = realloc(t->off, (size_t)cap * sizeof(size_t));
        if (!off) return PyErr_NoMemory(), -2;
        t->off = off;
        size_t *len = realloc(t->len, (size_t)cap * sizeof(size_t));
        if (!len) return PyErr_NoMemory(), -2;
        t->len = len;
        t->cap = cap;
    }
    if (t->arena_n + n + 1 > t->arena_cap) {
        size_t cap = t->arena_cap ? t->arena_cap : 4096;
        while (cap < t->arena_n + n + 1) cap *= 2;
        char *a = realloc(t->arena, cap);
        if (!a) return PyErr_NoMemory(), -2;
        t->arena = a;
        t->arena_cap = cap;
    }
    memcpy(t->arena + t->arena_n, s, n);
    int32_t code = t->n++;
    t->off[code] = t->arena_n;
    t->len[code] = n;
    t->arena_n += n;
    t->slots[k] = code + 1;
    if (t->n * 2 > t->nslots && intern_rehash(t, t->nslots * 2) < 0) return -2;
    return code;
}

static void intern_free(Intern *t) {
    free(t->arena);
    free(t->off);
    free(t->len);
    free(t->slots);
}

static PyObject *intern_list(Intern *t) {
    PyObject *list = PyList_New(t->n);
    if (!list) return NULL;
    for (int32_t c = 0; c < t->n; c++) {
        PyObject *s = PyUnicode_DecodeASCII(t->arena + t->off[c], (Py_ssize_t)t->len[c], "replace");
        if (!s) {
            Py_DECREF(list);
            return NULL;
        }
        PyList_SET_ITEM(list, c, s);
    }
    return list;
}

/* ---- a parsed sentence ---------------------------------------------------------------------- */

typedef struct {
    int kind; /* 0 skip, 1 reject, 2 sentence */
    int skip;
    int32_t reject_code;
    int unstripped; /* reject span: the whole line, not the stripped one */
    int mismatch;
    int frag_cnt, frag_num, fill;
    int64_t seq;
    int32_t channel, station;
    double t; /* NaN: unknown */
    int has_group;
    int64_t group_id;
    const char *payload;
    Py_ssize_t payload_len;
    int payload_borrowed; /* points into a Python object that dies with the line: copy to keep */
} Sentence;

#define FRESH_SENTENCE ((Sentence){.t = NAN, .station = -1, .channel = -1, .seq = SEQ_NONE})

typedef struct {
    int present;
    int64_t line;
    Py_ssize_t sstart, send; /* stripped span (reject text) */
    Py_ssize_t ustart, uend; /* whole line (the Python path re-reads it) */
    const char *payload;     /* into the input, or into `own` */
    int plen, fill;
    double t;
    int32_t station;
    char own[MAX_PAYLOAD_LEN];
} Fragment;

typedef struct {
    int used;
    int32_t prev, next; /* insertion order */
    int32_t station, channel;
    int64_t seq;
    int total, have;
    int64_t first_line;
    int has_group;
    int64_t group_id;
    Fragment frags[MAX_FRAG_CNT + 1]; /* by fragment number */
} Pending;

typedef struct {
    int64_t key; /* type, sub-type, bit length */
    int32_t id;
} GroupSlot;

/* Messages of one type, sub-type and bit length: their indices and their payload words, one array
 * per word position (so numpy reads a field of the whole group without gathering anything). */
typedef struct {
    int type, variant, nbits, nwords;
    Out msg;
    Out cols[1 + MAX_FRAG_CNT * MAX_PAYLOAD_LEN * 6 / 64];
} Group;

typedef struct {
    const unsigned char *data;
    Py_ssize_t size;
    int enforce;
    int64_t max_age_lines;
    int64_t max_pending;
    PyObject *classify;
    Intern stations, channels;
    /* messages */
    Out m_line, m_t, m_station, m_start, m_frag0;
    Out f_line, f_start, f_end, f_count; /* fragments of multi-sentence messages */
    Group **groups;
    int32_t n_groups, cap_groups;
    /* rejects */
    Out r_line, r_start, r_end, r_code, r_a, r_b;
    int64_t n_skip[3];
    int64_t n_mismatch;
    /* groups of equal (type, sub-type, bit length): open addressing, grows */
    GroupSlot *gslots;
    int32_t n_gslots;
    /* pending fragments: a pool of slots linked in insertion order */
    Pending *pool;
    int32_t pool_n, head, tail, n_pending;
    int32_t last_station_code;
} Scan;

static const signed char ARMOUR[256] = {
#define A(c) ((c) >= 48 && (c) <= 87 ? (c)-48 : ((c) >= 96 && (c) <= 119 ? (c)-56 : -1))
#define A4(c) A(c), A(c + 1), A(c + 2), A(c + 3)
#define A16(c) A4(c), A4(c + 4), A4(c + 8), A4(c + 12)
    A16(0),   A16(16),  A16(32),  A16(48),  A16(64),  A16(80),  A16(96),  A16(112),
    A16(128), A16(144), A16(160), A16(176), A16(192), A16(208), A16(224), A16(240),
#undef A16
#undef A4
#undef A
};

static int hexval(unsigned char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}

static int is_space(unsigned char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\x0b' || c == '\x0c';
}

static uint64_t be64(uint64_t v) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    return v;
#else
    return __builtin_bswap64(v);
#endif
}

/* XOR of n bytes, 8 at a time */
static unsigned char xor_of(const unsigned char *p, Py_ssize_t n) {
    uint64_t acc = 0;
    Py_ssize_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, p + i, 8);
        acc ^= w;
    }
    acc ^= acc >> 32;
    acc ^= acc >> 16;
    acc ^= acc >> 8;
    unsigned char x = (unsigned char)acc;
    for (; i < n; i++) x ^= p[i];
    return x;
}

/* Positions of the first 7 commas in d[a:b] (8 bytes at a time: a zero byte of w ^ ",,,,,,,," marks
 * a comma); returns how many there are, up to 7. */
static int find_commas(const unsigned char *d, Py_ssize_t a, Py_ssize_t b, Py_ssize_t *out) {
    const uint64_t ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL, commas = ones * ',';
    int n = 0;
    Py_ssize_t i = a;
#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_BIG_ENDIAN__ /* byte k is bits 8k.. */
    for (; i + 8 <= b; i += 8) {
        uint64_t w;
        memcpy(&w, d + i, 8);
        w ^= commas;
        uint64_t hit = (w - ones) & ~w & highs; /* exact for the lowest zero byte, upper ones may alias */
        while (hit) {
            int k = __builtin_ctzll(hit) >> 3;
            if (d[i + k] == ',') {
                out[n++] = i + k;
                if (n == 7) return n;
            }
            hit &= hit - 1;
        }
    }
#endif
    for (; i < b; i++)
        if (d[i] == ',') {
            out[n++] = i;
            if (n == 7) return n;
        }
    return n;
}

static int all_ascii(const unsigned char *p, Py_ssize_t n) {
    Py_ssize_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, p + i, 8);
        if (w & 0x8080808080808080ULL) return 0;
    }
    for (; i < n; i++)
        if (p[i] & 0x80) return 0;
    return 1;
}

/* ---- output ------------------------------------------------------------------------------------ */

static int add_reject(Scan *s, int64_t line, Py_ssize_t a, Py_ssize_t b, int32_t code, int32_t x, int32_t y) {
    OUT_PUSH(s->r_line, int64_t, line);
    OUT_PUSH(s->r_start, int64_t, (int64_t)a);
    OUT_PUSH(s->r_end, int64_t, (int64_t)b);
    OUT_PUSH(s->r_code, int32_t, code);
    OUT_PUSH(s->r_a, int32_t, x);
    OUT_PUSH(s->r_b, int32_t, y);
    return 0;
}

/* Sub-type as `MessageType24.from_vector` picks the class: 1 part A, 2 part B, 3 part B of an
 * auxiliary craft (MMSI 98xxxxxxx), 15 none (ais_fast leaves it to pyais). 0 for other types. */
static int variant_of(int type, int nbits, uint64_t first_word) {
    if (type != 24) return 0;
    if (nbits < 40) return 15;
    uint64_t mmsi = (first_word >> 26) & 0x3FFFFFFF, partno = (first_word >> 24) & 3;
    if (partno == 0) return 1;
    if (partno == 1) return mmsi >= 980000000 && mmsi <= 989999999 ? 3 : 2;
    return 15;
}

static int32_t group_of(Scan *s, int type, int variant, int nbits, int nwords) {
    int64_t key = ((int64_t)(type + 1) << 40) | ((int64_t)variant << 32) | (uint32_t)nbits;
    int32_t n = s->n_groups;
    if (2 * (n + 1) > s->n_gslots) { /* grow: keep the table at most half full */
        int32_t size = s->n_gslots ? s->n_gslots * 2 : 256;
        GroupSlot *slots = malloc((size_t)size * sizeof(GroupSlot));
        if (!slots) return PyErr_NoMemory(), -1;
        for (int32_t k = 0; k < size; k++) slots[k].id = -1;
        for (int32_t k = 0; k < s->n_gslots; k++) {
            if (s->gslots[k].id < 0) continue;
            uint64_t h = (uint64_t)s->gslots[k].key * 0x9E3779B97F4A7C15ULL;
            int32_t j = (int32_t)(h >> 40) & (size - 1);
            while (slots[j].id >= 0) j = (j + 1) & (size - 1);
            slots[j] = s->gslots[k];
        }
        free(s->gslots);
        s->gslots = slots;
        s->n_gslots = size;
    }
    uint64_t h = (uint64_t)key * 0x9E3779B97F4A7C15ULL;
    int32_t j = (int32_t)(h >> 40) & (s->n_gslots - 1);
    while (s->gslots[j].id >= 0) {
        if (s->gslots[j].key == key) return s->gslots[j].id;
        j = (j + 1) & (s->n_gslots - 1);
    }
    if (n == s->cap_groups) {
        int32_t cap = s->cap_groups ? s->cap_groups * 2 : 64;
        Group **groups = realloc(s->groups, (size_t)cap * sizeof(Group *));
        if (!groups) return PyErr_NoMemory(), -1;
        s->groups = groups;
        s->cap_groups = cap;
    }
    Group *g = calloc(1, sizeof(Group));
    if (!g) return PyErr_NoMemory(), -1;
    g->type = type;
    g->variant = variant;
    g->nbits = nbits;
    g->nwords = nwords;
    s->groups[n] = g;
    s->n_groups++;
    s->gslots[j].key = key;
    s->gslots[j].id = n;
    return n;
}

static void groups_free(Scan *s) {
    for (int32_t k = 0; k < s->n_groups; k++) {
        Group *g = s->groups[k];
        Py_CLEAR(g->msg.obj);
        for (int i = 0; i < g->nwords; i++) Py_CLEAR(g->cols[i].obj);
        free(g);
    }
    free(s->groups);
}

/* [(type, variant, nbits, message indices, [word arrays]), ...] */
static PyObject *groups_list(Scan *s) {
    PyObject *list = PyList_New(s->n_groups);
    if (!list) return NULL;
    for (int32_t k = 0; k < s->n_groups; k++) {
        Group *g = s->groups[k];
        PyObject *cols = PyList_New(g->nwords);
        if (!cols) goto fail;
        for (int i = 0; i < g->nwords; i++) {
            PyObject *b = out_finish(&g->cols[i]);
            if (!b) {
                Py_DECREF(cols);
                goto fail;
            }
            PyList_SET_ITEM(cols, i, b);
        }
        PyObject *msg = out_finish(&g->msg);
        PyObject *item = msg ? Py_BuildValue("(iiiNN)", g->type, g->variant, g->nbits, msg, cols) : NULL;
        if (!item) {
            Py_DECREF(cols);
            goto fail;
        }
        PyList_SET_ITEM(list, k, item);
    }
    return list;
fail:
    Py_DECREF(list);
    return NULL;
}

/* The payload's characters as 6-bit values packed big-endian into bytes (four characters make three
 * bytes; a last group of 1-3 is left-aligned). -1 if a character is outside the armour. */
static int pack_sextets(const unsigned char *p, int len, unsigned char *bytes) {
    int bad = 0; /* ARMOUR is -1 outside the armour: OR them all, one test */
    int k = 0, nb = 0;
    for (; k + 4 <= len; k += 4, nb += 3) {
        int a = ARMOUR[p[k]], b = ARMOUR[p[k + 1]], c = ARMOUR[p[k + 2]], d = ARMOUR[p[k + 3]];
        bad |= a | b | c | d;
        uint32_t v = (uint32_t)(a & 63) << 18 | (uint32_t)(b & 63) << 12 | (uint32_t)(c & 63) << 6 | (uint32_t)(d & 63);
        bytes[nb] = (unsigned char)(v >> 16);
        bytes[nb + 1] = (unsigned char)(v >> 8);
        bytes[nb + 2] = (unsigned char)v;
    }
    if (k < len) {
        uint32_t v = 0;
        for (int i = 0; i < 4; i++) {
            int a = k + i < len ? ARMOUR[p[k + i]] : 0;
            bad |= a;
            v = v << 6 | (uint32_t)(a & 63);
        }
        bytes[nb] = (unsigned char)(v >> 16);
        bytes[nb + 1] = (unsigned char)(v >> 8);
        bytes[nb + 2] = (unsigned char)v;
    }
    return bad < 0 ? -1 : 0;
}

/* One complete message from fragments 1..n (in order). 1 (and nothing added): a payload character
 * outside the armour (only single sentences come here unchecked). */
static int add_message(Scan *s, Fragment *const *frags, int n) {
    int nchars = 0;
    double t = NAN;
    int32_t station = -1;
    for (int i = 0; i < n; i++) {
        nchars += frags[i]->plen;
        if (isnan(t) && !isnan(frags[i]->t)) t = frags[i]->t;
        if (station < 0 && frags[i]->station >= 0) station = frags[i]->station;
    }
    int nbits = nchars * 6 - frags[n - 1]->fill;
    int nwords = (nchars * 6 + 63) / 64;
    uint64_t w[1 + MAX_FRAG_CNT * MAX_PAYLOAD_LEN * 6 / 64];
    memset(w, 0, (size_t)(nwords ? nwords : 1) * sizeof(uint64_t));
    const unsigned char *chars = (const unsigned char *)frags[0]->payload;
    unsigned char joined[MAX_FRAG_CNT * MAX_PAYLOAD_LEN];
    if (n > 1) {
        int m = 0;
        for (int i = 0; i < n; i++) {
            memcpy(joined + m, frags[i]->payload, (size_t)frags[i]->plen);
            m += frags[i]->plen;
        }
        chars = joined;
    }
    if (pack_sextets(chars, nchars, (unsigned char *)w) < 0) return 1;
    for (int k = 0; k < nwords; k++) w[k] = be64(w[k]);
    int type = nchars ? (int)(w[0] >> 58) : -1;
    int32_t gid = group_of(s, type, variant_of(type, nbits, w[0]), nbits, nwords);
    if (gid < 0) return -1;
    Group *g = s->groups[gid];
    if (out_reserve(&g->msg, 1, 8) < 0) return -1;
    ((int64_t *)g->msg.p)[g->msg.n++] = (int64_t)s->m_line.n;
    for (int k = 0; k < nwords; k++) {
        if (out_reserve(&g->cols[k], 1, 8) < 0) return -1;
        ((uint64_t *)g->cols[k].p)[g->cols[k].n++] = w[k];
    }
    OUT_PUSH(s->m_line, int64_t, frags[0]->line);
    OUT_PUSH(s->m_t, double, t);
    OUT_PUSH(s->m_station, int32_t, station);
    OUT_PUSH(s->m_start, int64_t, (int64_t)frags[0]->ustart);
    OUT_PUSH(s->m_frag0, int32_t, n > 1 ? (int32_t)s->f_line.n : -1);
    for (int i = 0; i < n && n > 1; i++) {
        OUT_PUSH(s->f_line, int64_t, frags[i]->line);
        OUT_PUSH(s->f_start, int64_t, (int64_t)frags[i]->ustart);
        OUT_PUSH(s->f_end, int64_t, (int64_t)frags[i]->uend);
        OUT_PUSH(s->f_count, int32_t, n);
    }
    return 0;
}

/* ---- pending fragments ------------------------------------------------------------------------- */

static void unlink_pending(Scan *s, int32_t k) {
    Pending *p = &s->pool[k];
    if (p->prev >= 0) s->pool[p->prev].next = p->next; else s->head = p->next;
    if (p->next >= 0) s->pool[p->next].prev = p->prev; else s->tail = p->prev;
    p->used = 0;
    s->n_pending--;
}

static int orphan(Scan *s, int32_t k) {
    Pending *p = &s->pool[k];
    for (int num = 1; num <= MAX_FRAG_CNT; num++) {
        Fragment *f = &p->frags[num];
        if (f->present && add_reject(s, f->line, f->sstart, f->send, R_ORPHAN_INCOMPLETE, p->have, p->total) < 0)
            return -1;
    }
    unlink_pending(s, k);
    return 0;
}

static int32_t new_slot(Scan *s) {
    for (int32_t k = 0; k < s->pool_n; k++)
        if (!s->pool[k].used) return k;
    return -1; /* cannot happen: the pool holds max_pending + 2 */
}

/* NmeaAisDecoder._expire: the oldest pending first, by line numbers */
static int expire(Scan *s, int64_t line) {
    while (s->head >= 0 && line - s->pool[s->head].first_line > s->max_age_lines)
        if (orphan(s, s->head) < 0) return -1;
    return 0;
}

static void set_fragment(Fragment *f, const Sentence *x, int64_t line, Py_ssize_t ss, Py_ssize_t se,
                         Py_ssize_t us, Py_ssize_t ue, int keep) {
    f->present = 1;
    f->line = line;
    f->sstart = ss;
    f->send = se;
    f->ustart = us;
    f->uend = ue;
    f->plen = (int)x->payload_len;
    f->fill = x->fill;
    f->t = x->t;
    f->station = x->station;
    if (keep && x->payload_borrowed) {
        memcpy(f->own, x->payload, (size_t)x->payload_len);
        f->payload = f->own;
    } else {
        f->payload = x->payload;
    }
}

/* NmeaAisDecoder._add_fragment */
static int add_fragment(Scan *s, const Sentence *x, int64_t line, Py_ssize_t ss, Py_ssize_t se, Py_ssize_t us,
                        Py_ssize_t ue) {
    int32_t found = -1;
    for (int32_t k = s->head; k >= 0; k = s->pool[k].next) {
        Pending *p = &s->pool[k];
        if (p->station == x->station && p->channel == x->channel && p->seq == x->seq && p->total == x->frag_cnt) {
            found = k;
            break;
        }
    }
    if (found < 0 && x->frag_num > 1) {
        for (int32_t k = s->head; k >= 0; k = s->pool[k].next) {
            Pending *p = &s->pool[k];
            if (p->frags[x->frag_num].present || p->channel != x->channel || p->seq != x->seq ||
                p->total != x->frag_cnt)
                continue;
            /* same NMEA 4.10 group id, or a station named on the first fragment only */
            if ((x->has_group && p->has_group && p->group_id == x->group_id) || x->station < 0) {
                found = k;
                break;
            }
        }
    }
    if (found >= 0 && s->pool[found].frags[x->frag_num].present) {
        if (orphan(s, found) < 0) return -1; /* the same key restarts */
        found = -1;
    }
    if (found < 0) {
        if (x->frag_num != 1) return add_reject(s, line, ss, se, R_ORPHAN_NO_FIRST, x->frag_num, x->frag_cnt);
        found = new_slot(s);
        Pending *p = &s->pool[found];
        for (int num = 0; num <= MAX_FRAG_CNT; num++) p->frags[num].present = 0;
        p->used = 1;
        p->station = x->station;
        p->channel = x->channel;
        p->seq = x->seq;
        p->total = x->frag_cnt;
        p->have = 0;
        p->first_line = line;
        p->has_group = x->has_group;
        p->group_id = x->group_id;
        p->prev = s->tail;
        p->next = -1;
        if (s->tail >= 0) s->pool[s->tail].next = found; else s->head = found;
        s->tail = found;
        s->n_pending++;
        if (s->n_pending > s->max_pending && orphan(s, s->head) < 0) return -1;
        if (!s->pool[found].used) return 0; /* it was the oldest itself (max_pending 0) */
    }
    Pending *p = &s->pool[found];
    set_fragment(&p->frags[x->frag_num], x, line, ss, se, us, ue, 1);
    p->have++;
    if (p->have == p->total) {
        Fragment *frags[MAX_FRAG_CNT];
        for (int i = 0; i < p->total; i++) frags[i] = &p->frags[i + 1];
        if (add_message(s, frags, p->total) < 0) return -1;
        unlink_pending(s, found);
    }
    return 0;
}

/* ---- reading one line ----------------------------------------------------------------------- */

static int reject(Sentence *x, int32_t code) {
    x->kind = 1;
    x->reject_code = code;
    return 1;
}

/* tagblock.parse_tag_block on the content between the backslashes.
 * 1: parsed into *x (or judged: x->kind 1); 0: not the usual form, let Python judge; -1: error. */
static int parse_tag_block(Scan *s, const unsigned char *c, Py_ssize_t n, Sentence *x) {
    Py_ssize_t star = -1;
    for (Py_ssize_t i = n - 1; i >= 0; i--)
        if (c[i] == '*') {
            star = i;
            break;
        }
    Py_ssize_t body = n;
    if (star >= 0) {
        /* Python: int(given, 16), then a length other than 2 or a mismatch is `tag_block_checksum` */
        Py_ssize_t len = n - star - 1;
        if (len == 0) return 0;
        for (Py_ssize_t i = star + 1; i < n; i++)
            if (hexval(c[i]) < 0) return 0;
        if (len != 2 || xor_of(c, star) != hexval(c[star + 1]) * 16 + hexval(c[star + 2]))
            return reject(x, R_TAG_CHECKSUM);
        body = star;
    }
    const unsigned char *cv = NULL, *sv = NULL, *gv = NULL;
    Py_ssize_t cn = 0, sn = 0, gn = 0;
    for (Py_ssize_t i = 0; i <= body;) {
        Py_ssize_t j = i;
        while (j < body && c[j] != ',') j++;
        if (j > i) {
            Py_ssize_t colon = i;
            while (colon < j && c[colon] != ':') colon++;
            if (colon == j || colon == i) return 0; /* a field without a key: Python words the error */
            if (colon == i + 1) { /* later fields win, as in a dict */
                if (c[i] == 'c') cv = c + colon + 1, cn = j - colon - 1;
                else if (c[i] == 's') sv = c + colon + 1, sn = j - colon - 1;
                else if (c[i] == 'g') gv = c + colon + 1, gn = j - colon - 1;
            }
        }
        i = j + 1;
    }
    if (cv) {
        /* digits, optionally one '.' and digits: strtod rounds these exactly as Python's float() */
        char buf[40];
        int dots = 0;
        if (cn == 0 || cn >= (Py_ssize_t)sizeof(buf)) return 0;
        for (Py_ssize_t k = 0; k < cn; k++) {
            if (cv[k] == '.') dots++;
            else if (cv[k] < '0' || cv[k] > '9') return 0;
        }
        if (dots > 1 || cv[0] == '.' || cv[cn - 1] == '.') return 0;
        double t;
        if (dots == 0 && cn <= 15) { /* an exact integer in a double: no need for strtod */
            int64_t v = 0;
            for (Py_ssize_t k = 0; k < cn; k++) v = v * 10 + (cv[k] - '0');
            t = (double)v;
        } else {
            memcpy(buf, cv, (size_t)cn);
            buf[cn] = 0;
            t = strtod(buf, NULL);
        }
        if (t > MS_EPOCH_THRESHOLD) t /= 1000.0;
        if (!(t <= MAX_EPOCH)) return 0;
        x->t = t;
    }
    if (sv && sn > 0) {
        /* feeds repeat a station line after line: compare with the last one before hashing */
        Intern *t = &s->stations;
        int32_t last = s->last_station_code;
        if (last >= 0 && t->len[last] == (size_t)sn && memcmp(t->arena + t->off[last], sv, (size_t)sn) == 0) {
            x->station = last;
        } else {
            int32_t code = intern(t, (const char *)sv, (size_t)sn);
            if (code < -1) return -1;
            x->station = s->last_station_code = code;
        }
    }
    if (gv) {
        int64_t part[3] = {0, 0, 0};
        int np = 0, nd = 0;
        for (Py_ssize_t k = 0; k <= gn; k++) {
            if (k == gn || gv[k] == '-') {
                if (nd == 0 || np >= 3) return 0;
                np++;
                nd = 0;
            } else if (gv[k] >= '0' && gv[k] <= '9') {
                if (np >= 3 || nd >= 18) return 0; /* a fourth part, or more than int64 holds: Python judges */
                part[np] = part[np] * 10 + (gv[k] - '0');
                nd++;
            } else {
                return 0;
            }
        }
        if (np != 3) return 0;
        x->has_group = 1;
        x->group_id = part[2];
    }
    return 1;
}

/* NmeaAisDecoder._feed up to the assembly, for the stripped line d[a:b].
 * 1: *x holds the verdict; 0: not the usual form, let Python judge the line; -1: error. */
static int parse_sentence(Scan *s, const unsigned char *d, Py_ssize_t a, Py_ssize_t b, Sentence *x) {
    if (a == b) {
        x->kind = 0;
        x->skip = SKIP_BLANK;
        return 1;
    }
    if (d[a] == '#') {
        x->kind = 0;
        x->skip = SKIP_COMMENT;
        return 1;
    }
    if (!all_ascii(d + a, b - a)) return reject(x, R_NOT_ASCII);
    Py_ssize_t p = a;
    if (d[a] == '\\') {
        const unsigned char *end = memchr(d + a + 1, '\\', (size_t)(b - a - 1));
        if (!end) return reject(x, R_TAG_UNTERMINATED);
        int r = parse_tag_block(s, d + a + 1, (Py_ssize_t)(end - d) - a - 1, x);
        if (r <= 0 || x->kind == 1) return r;
        p = (Py_ssize_t)(end - d) + 1;
    }
    if (p == b || (d[p] != '!' && d[p] != '$')) return reject(x, R_NO_START);
    /* bytes.upper() in (VDM, VDO): `& 0xDF` maps only 'v'/'V' onto 'V' (and likewise D, M, O) */
    if (b - p < 6 || (d[p + 3] & 0xDF) != 'V' || (d[p + 4] & 0xDF) != 'D' ||
        ((d[p + 5] & 0xDF) != 'M' && (d[p + 5] & 0xDF) != 'O')) {
        x->kind = 0;
        x->skip = SKIP_FOREIGN;
        return 1;
    }
    /* the first '*', the commas before it (memchr runs several bytes at a time), the XOR between */
    const unsigned char *starp = memchr(d + p + 1, '*', (size_t)(b - p - 1));
    Py_ssize_t star = starp ? (Py_ssize_t)(starp - d) : -1;
    Py_ssize_t comma[7] = {0};
    int nc = star >= 0 ? find_commas(d, p + 1, star, comma) : 0;
    if (star < 0 || star + 3 > b) return reject(x, R_MISSING_CHECKSUM);
    if (star + 3 != b) return 0; /* a receiver trailer: Python reads it */
    int hi = hexval(d[star + 1]), lo = hexval(d[star + 2]);
    if (hi < 0 || lo < 0) return 0;
    x->mismatch = xor_of(d + p + 1, star - p - 1) != hi * 16 + lo;
    if (x->mismatch && s->enforce) return reject(x, R_CHECKSUM_MISMATCH);
    if (nc != 6) return reject(x, R_MALFORMED_FIELDS);
    /* fields: count, number, sequence id, channel, payload, fill*hh - each in its usual form */
    if (comma[1] - comma[0] != 2 || comma[2] - comma[1] != 2) return 0;
    int cnt = d[comma[0] + 1] - '0', num = d[comma[1] + 1] - '0';
    if (cnt < 1 || cnt > MAX_FRAG_CNT || num < 1 || num > cnt) return 0;
    Py_ssize_t seq_len = comma[3] - comma[2] - 1;
    if (seq_len > 1) return 0;
    x->seq = SEQ_NONE;
    if (seq_len == 1) {
        int v = d[comma[2] + 1] - '0';
        if (v < 0 || v > 9) return 0;
        x->seq = v;
    }
    Py_ssize_t fill_len = star - comma[5] - 1;
    int fill = 0; /* an empty fill field is 0 to pyais */
    if (fill_len > 1) return 0;
    if (fill_len == 1) {
        fill = d[comma[5] + 1] - '0';
        if (fill < 0 || fill > 5) return 0;
    }
    const unsigned char *pl = d + comma[4] + 1;
    Py_ssize_t plen = comma[5] - comma[4] - 1;
    if (plen > MAX_PAYLOAD_LEN) return 0;
    if (cnt > 1) { /* a single sentence's characters are checked as they are unpacked (add_message) */
        int bad = 0;
        for (Py_ssize_t i = 0; i < plen; i++) bad |= ARMOUR[pl[i]];
        if (bad < 0) return reject(x, R_BAD_PAYLOAD_CHAR);
        if (num < cnt && fill != 0) return reject(x, R_FILL_NOT_LAST);
    }
    x->kind = 2;
    x->frag_cnt = cnt;
    x->frag_num = num;
    x->fill = fill;
    x->payload = (const char *)pl;
    x->payload_len = plen;
    if (cnt > 1) {
        x->channel = intern(&s->channels, (const char *)d + comma[3] + 1, (size_t)(comma[4] - comma[3] - 1));
        if (x->channel < -1) return -1;
    }
    return 1;
}

/* The Python verdict on a line (ais_scan._Classifier gives the tuple's layout). */
static int classify(Scan *s, const unsigned char *d, Py_ssize_t a, Py_ssize_t b, Sentence *x, PyObject **keep) {
    PyObject *line = PyBytes_FromStringAndSize((const char *)d + a, b - a);
    if (!line) return -1;
    PyObject *r = PyObject_CallOneArg(s->classify, line);
    Py_DECREF(line);
    if (!r) return -1;
    *keep = r;
    if (!PyTuple_Check(r) || PyTuple_GET_SIZE(r) < 3) {
        PyErr_SetString(PyExc_TypeError, "classify must return a tuple");
        return -1;
    }
    x->kind = (int)PyLong_AsLong(PyTuple_GET_ITEM(r, 0));
    x->mismatch = PyObject_IsTrue(PyTuple_GET_ITEM(r, 1));
    if (x->kind == 0) {
        x->skip = (int)PyLong_AsLong(PyTuple_GET_ITEM(r, 2));
        if (x->skip < 0 || x->skip > 2) x->skip = SKIP_FOREIGN;
    } else if (x->kind == 1) {
        if (PyTuple_GET_SIZE(r) != 4) {
            PyErr_SetString(PyExc_TypeError, "classify: a reject is a 4-tuple");
            return -1;
        }
        x->reject_code = (int32_t)PyLong_AsLong(PyTuple_GET_ITEM(r, 2));
        x->unstripped = PyObject_IsTrue(PyTuple_GET_ITEM(r, 3));
    } else {
        /* (2, mismatch, cnt, num, seq_key, channel, fill, payload, station, t, group_id) */
        if (PyTuple_GET_SIZE(r) != 11) {
            PyErr_SetString(PyExc_TypeError, "classify: a sentence is an 11-tuple");
            return -1;
        }
        x->frag_cnt = (int)PyLong_AsLong(PyTuple_GET_ITEM(r, 2));
        x->frag_num = (int)PyLong_AsLong(PyTuple_GET_ITEM(r, 3));
        x->seq = PyLong_AsLongLong(PyTuple_GET_ITEM(r, 4));
        Py_ssize_t n;
        const char *ch = PyUnicode_AsUTF8AndSize(PyTuple_GET_ITEM(r, 5), &n);
        if (!ch) return -1;
        x->channel = intern(&s->channels, ch, (size_t)n);
        if (x->channel < -1) return -1;
        x->fill = (int)PyLong_AsLong(PyTuple_GET_ITEM(r, 6));
        char *pl;
        if (PyBytes_AsStringAndSize(PyTuple_GET_ITEM(r, 7), &pl, &n) < 0) return -1;
        if (n > MAX_PAYLOAD_LEN) {
            PyErr_SetString(PyExc_ValueError, "classify: payload too long");
            return -1;
        }
        x->payload = pl;
        x->payload_len = n;
        x->payload_borrowed = 1;
        PyObject *st = PyTuple_GET_ITEM(r, 8);
        if (st != Py_None) {
            const char *sv = PyUnicode_AsUTF8AndSize(st, &n);
            if (!sv) return -1;
            x->station = intern(&s->stations, sv, (size_t)n);
            if (x->station < -1) return -1;
        }
        x->t = PyFloat_AsDouble(PyTuple_GET_ITEM(r, 9));
        PyObject *g = PyTuple_GET_ITEM(r, 10);
        if (g != Py_None) {
            x->has_group = 1;
            x->group_id = PyLong_AsLongLong(g);
        }
        if (x->frag_cnt < 1 || x->frag_cnt > MAX_FRAG_CNT || x->frag_num < 1 || x->frag_num > x->frag_cnt ||
            x->fill < 0 || x->fill > 5) {
            PyErr_SetString(PyExc_ValueError, "classify: fragment numbers or fill bits out of range");
            return -1;
        }
    }
    if (PyErr_Occurred()) return -1;
    return 0;
}

static int scan_line(Scan *s, int64_t line, Py_ssize_t us, Py_ssize_t ue) {
    const unsigned char *d = s->data;
    Py_ssize_t a = us, b = ue;
    while (a < b && is_space(d[a])) a++;
    while (b > a && is_space(d[b - 1])) b--;
    if (s->head >= 0 && expire(s, line) < 0) return -1;
    Sentence x = FRESH_SENTENCE;
    PyObject *keep = NULL; /* the Python verdict owns x.payload while the line is handled */
    int r = parse_sentence(s, d, a, b, &x);
    if (r < 0) return -1;
    if (r == 0) {
        x = FRESH_SENTENCE; /* forget what the scanner read before it gave up on the line */
        if (classify(s, d, a, b, &x, &keep) < 0) {
            Py_XDECREF(keep);
            return -1;
        }
    }
    int rc = 0;
    if (x.mismatch) s->n_mismatch++;
    if (x.kind == 0) {
        s->n_skip[x.skip]++;
    } else if (x.kind == 1) {
        rc = x.unstripped ? add_reject(s, line, us, ue, x.reject_code, 0, 0)
                          : add_reject(s, line, a, b, x.reject_code, 0, 0);
    } else if (x.frag_cnt == 1) {
        if (x.payload_len == 0) {
            rc = add_reject(s, line, a, b, R_EMPTY_PAYLOAD, 0, 0);
        } else {
            Fragment f;
            set_fragment(&f, &x, line, a, b, us, ue, 0);
            Fragment *frags[1] = {&f};
            rc = add_message(s, frags, 1);
            if (rc == 1) rc = add_reject(s, line, a, b, R_BAD_PAYLOAD_CHAR, 0, 0);
        }
    } else {
        rc = add_fragment(s, &x, line, a, b, us, ue);
    }
    Py_XDECREF(keep);
    return rc;
}

/* every output array sized by the lines: its name for Python, where it is in Scan, its element size */
static const struct {
    const char *name;
    size_t offset, elem;
} OUTS[] = {
    {"m_line", offsetof(Scan, m_line), 8},       {"m_t", offsetof(Scan, m_t), 8},
    {"m_station", offsetof(Scan, m_station), 4}, {"m_start", offsetof(Scan, m_start), 8},
    {"m_frag0", offsetof(Scan, m_frag0), 4},     {"f_line", offsetof(Scan, f_line), 8},
    {"f_start", offsetof(Scan, f_start), 8},     {"f_end", offsetof(Scan, f_end), 8},
    {"f_count", offsetof(Scan, f_count), 4},     {"r_line", offsetof(Scan, r_line), 8},
    {"r_start", offsetof(Scan, r_start), 8},     {"r_end", offsetof(Scan, r_end), 8},
    {"r_code", offsetof(Scan, r_code), 4},       {"r_a", offsetof(Scan, r_a), 4},
    {"r_b", offsetof(Scan, r_b), 4},
};
#define N_OUTS (sizeof(OUTS) / sizeof(OUTS[0]))
#define OUT_OF(s, k) ((Out *)((char *)(s) + OUTS[k].offset))

static void scan_free(Scan *s) {
    for (size_t k = 0; k < N_OUTS; k++) Py_CLEAR(OUT_OF(s, k)->obj);
    intern_free(&s->stations);
    intern_free(&s->channels);
    free(s->gslots);
    groups_free(s);
    free(s->pool);
}

PyDoc_STRVAR(scan_doc,
             "scan(data, enforce_checksum, max_age_lines, max_pending, classify) -> dict\n\n"
             "Messages, fragments, rejects and counts of a whole AIS NMEA text (see ais_scan.py).");

static PyObject *py_scan(PyObject *self, PyObject *args) {
    Py_buffer buf;
    int enforce;
    long long max_age, max_pending;
    PyObject *classify_fn;
    if (!PyArg_ParseTuple(args, "y*pLLO", &buf, &enforce, &max_age, &max_pending, &classify_fn)) return NULL;
    Scan s;
    memset(&s, 0, sizeof(s));
    s.data = buf.buf;
    s.size = buf.len;
    s.enforce = enforce;
    s.max_age_lines = max_age;
    s.max_pending = max_pending < 0 ? 0 : max_pending;
    s.classify = classify_fn;
    s.head = s.tail = -1;
    s.last_station_code = -1;
    PyObject *result = NULL;
    /* bounds: a line gives at most one message, fragment or reject */
    size_t n_lines = 1;
    for (const unsigned char *q = s.data, *end = s.data + s.size; (q = memchr(q, '\n', (size_t)(end - q))); q++)
        n_lines++;
    for (size_t k = 0; k < N_OUTS; k++) {
        if (out_init(OUT_OF(&s, k), n_lines, OUTS[k].elem) < 0) goto done;
    }
    s.pool_n = (int32_t)(s.max_pending + 2);
    s.pool = calloc((size_t)s.pool_n, sizeof(Pending));
    if (!s.pool) {
        PyErr_NoMemory();
        goto done;
    }
    int64_t line = 0;
    Py_ssize_t pos = 0;
    while (pos < s.size) {
        const unsigned char *nl = memchr(s.data + pos, '\n', (size_t)(s.size - pos));
        Py_ssize_t end = nl ? (Py_ssize_t)(nl - s.data) : s.size;
        if (scan_line(&s, ++line, pos, end) < 0) goto done;
        pos = end + 1;
    }
    while (s.head >= 0)
        if (orphan(&s, s.head) < 0) goto done;
    PyObject *dict = PyDict_New();
    if (!dict) goto done;
    for (size_t k = 0; k < N_OUTS; k++) {
        PyObject *b = out_finish(OUT_OF(&s, k));
        if (!b || PyDict_SetItemString(dict, OUTS[k].name, b) < 0) {
            Py_XDECREF(b);
            Py_DECREF(dict);
            goto done;
        }
        Py_DECREF(b);
    }
    PyObject *stations = intern_list(&s.stations);
    int bad = !stations || PyDict_SetItemString(dict, "stations", stations) < 0;
    Py_XDECREF(stations);
    PyObject *groups = bad ? NULL : groups_list(&s);
    bad = bad || !groups || PyDict_SetItemString(dict, "groups", groups) < 0;
    Py_XDECREF(groups);
    const char *count_names[] = {"lines", "skipped_blank", "skipped_comment", "skipped_foreign", "checksum_mismatch"};
    long long counts[] = {line, s.n_skip[SKIP_BLANK], s.n_skip[SKIP_COMMENT], s.n_skip[SKIP_FOREIGN], s.n_mismatch};
    for (int k = 0; k < 5 && !bad; k++) {
        PyObject *v = PyLong_FromLongLong(counts[k]);
        bad = !v || PyDict_SetItemString(dict, count_names[k], v) < 0;
        Py_XDECREF(v);
    }
    if (bad) {
        Py_DECREF(dict);
        goto done;
    }
    result = dict;
done:
    scan_free(&s);
    PyBuffer_Release(&buf);
    return result;
}

static PyMethodDef methods[] = {{"scan", py_scan, METH_VARARGS, scan_doc}, {NULL, NULL, 0, NULL}};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "_nmea_scan",
    .m_doc = "One-pass AIS NMEA scanner (see seawatch.sources.ais_scan).",
    .m_size = -1,
    .m_methods = methods,
};

PyMODINIT_FUNC PyInit__nmea_scan(void) { return PyModule_Create(&module); }
