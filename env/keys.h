/* keys.h: one table-driven engine for config keys (the world's, comm's and the trainer's).
 *
 * Contract:
 * - A table lists the keys of one struct: section, key, type, the offset of the field in the
 *   struct, the allowed range or choices, and a one-line doc. Rows are grouped by section in the
 *   order an INI file lists them.
 * - env_keys_set() is the only way text becomes a value: it rejects malformed and out-of-range
 *   text with a message naming the key, the value and what is allowed, and leaves the field
 *   unchanged on failure. env_keys_get() formats a value so that env_keys_set() reads it back to
 *   the same value; env_keys_write_ini() writes every key that way.
 * - Two message dialects exist, kept byte for byte from the two parsers this engine replaced:
 *   the world's ("beam.length: '5x' is not an integer; allowed 0..64", strict integers) and the
 *   trainer's ("ppo.epochs = '2.5' is not an integer; allowed 1..1000", integers as strtoll reads
 *   them, surrounding blanks allowed). A table names its dialect.
 * - Probabilities are exact decimals in [0, 1] with at most 9 fraction digits, stored as parts
 *   per billion (int64_t); no floating point touches them.
 * - No allocation, no global state.
 */
#ifndef COMMONS_KEYS_H
#define COMMONS_KEYS_H

#include <stddef.h>
#include <stdio.h>

#include "env.h"

/* The type of a key's field. */
typedef enum {
    ENV_KEY_INT = 0, /* int in [min, max] */
    ENV_KEY_INT64,   /* int64_t in [min, max] */
    ENV_KEY_BOOL,    /* int, 0 or 1 */
    ENV_KEY_REAL,    /* double in [min, max]; open_min excludes min */
    ENV_KEY_PROB,    /* int64_t parts per billion, from a decimal in [0, 1] */
    ENV_KEY_PROBS,   /* int64_t[max_items] parts per billion, comma separated; count at count_off */
    ENV_KEY_INTS, /* int[max_items] in [min, max], comma separated or "none"; count at count_off */
    ENV_KEY_CHOICE, /* int (or enum): the index of a word of `choices`, or values[index] */
    ENV_KEY_STRING  /* char[max + 1]: text of at most max characters */
} EnvKeyType;

/* One key. Integer ranges are held as doubles: they must be exactly representable (|x| <= 2^53,
 * or a power of two). */
typedef struct EnvKeySpec {
    const char *section, *key;
    EnvKeyType type;
    size_t off;          /* offset of the field in the owning struct */
    double min, max;     /* inclusive range; ENV_KEY_STRING: max is the longest text */
    int open_min;        /* ENV_KEY_REAL: 1 when min itself is not allowed */
    const char *choices; /* ENV_KEY_CHOICE: space-separated words */
    const int *values;   /* ENV_KEY_CHOICE: the value stored for each word, or NULL (its index) */
    size_t count_off;    /* ENV_KEY_PROBS, ENV_KEY_INTS: offset of the int item count */
    int max_items;       /* ENV_KEY_PROBS, ENV_KEY_INTS: capacity of the array */
    const char *doc;
} EnvKeySpec;

/* Rows of a table, one macro per type (positional initialisers of EnvKeySpec). */
#define ENV_KEY_ROW_INT(sec, key, off, lo, hi, doc)                                                \
    { sec, key, ENV_KEY_INT, off, lo, hi, 0, NULL, NULL, 0, 0, doc }
#define ENV_KEY_ROW_INT64(sec, key, off, lo, hi, doc)                                              \
    { sec, key, ENV_KEY_INT64, off, lo, hi, 0, NULL, NULL, 0, 0, doc }
#define ENV_KEY_ROW_BOOL(sec, key, off, doc)                                                       \
    { sec, key, ENV_KEY_BOOL, off, 0, 1, 0, NULL, NULL, 0, 0, doc }
#define ENV_KEY_ROW_REAL(sec, key, off, lo, hi, open_lo, doc)                                      \
    { sec, key, ENV_KEY_REAL, off, lo, hi, open_lo, NULL, NULL, 0, 0, doc }
#define ENV_KEY_ROW_PROB(sec, key, off, doc)                                                       \
    { sec, key, ENV_KEY_PROB, off, 0, 1, 0, NULL, NULL, 0, 0, doc }
#define ENV_KEY_ROW_PROBS(sec, key, off, count_off, cap, doc)                                      \
    { sec, key, ENV_KEY_PROBS, off, 0, 1, 0, NULL, NULL, count_off, cap, doc }
#define ENV_KEY_ROW_INTS(sec, key, off, count_off, cap, lo, hi, doc)                               \
    { sec, key, ENV_KEY_INTS, off, lo, hi, 0, NULL, NULL, count_off, cap, doc }
#define ENV_KEY_ROW_CHOICE(sec, key, off, choices, values, doc)                                    \
    { sec, key, ENV_KEY_CHOICE, off, 0, 0, 0, choices, values, 0, 0, doc }
#define ENV_KEY_ROW_STRING(sec, key, off, max_len, doc)                                            \
    { sec, key, ENV_KEY_STRING, off, 0, max_len, 0, NULL, NULL, 0, 0, doc }

/* The two message dialects (see the contract above). */
typedef enum { ENV_KEY_DIALECT_WORLD = 0, ENV_KEY_DIALECT_TRAIN } EnvKeyDialect;

/* A table of keys over one struct. */
typedef struct EnvKeyTable {
    const EnvKeySpec *keys; /* (n,) grouped by section */
    int n;
    EnvKeyDialect dialect;
    const char *listing; /* the command that lists the keys, named by "unknown key" messages */
} EnvKeyTable;

/* Returns the index of (section, key) in the table, or -1. */
int env_keys_find(const EnvKeyTable *t, const char *section, const char *key);

/* Returns 1 when some key of the table is in `section`. */
int env_keys_has_section(const EnvKeyTable *t, const char *section);

/* Sets one key of obj (the table's struct) from text. Returns 0, or ENV_EINPUT with a message
 * naming the key, the value and what is allowed; an unknown key or section gets the message of
 * env_keys_unknown() for this table alone. The field is unchanged on failure. */
int env_keys_set(const EnvKeyTable *t, void *obj, const char *section, const char *key,
                 const char *value, EnvError *err);

/* The message for a key that none of the n tables holds: "unknown key 'S.K'; 'LISTING' lists the
 * keys" when one of them has the section (its listing), else "unknown section '[S]' (key 'K');
 * sections are A, B, ..." (every section of the tables in order). Returns ENV_EINPUT. */
int env_keys_unknown(const EnvKeyTable *const *tables, int n, const char *section, const char *key,
                     EnvError *err);

/* Formats the value of one key of obj into buf. Returns 0, or ENV_ENOTFOUND for an unknown key. */
int env_keys_get(const EnvKeyTable *t, const void *obj, const char *section, const char *key,
                 char *buf, size_t n);

/* Writes every key as INI: "\n[section]\n" before each section, then "key = value" lines. */
void env_keys_write_ini(const EnvKeyTable *t, const void *obj, FILE *f);

/* Describes key i for listings: returns 0 and fills section, key, the allowed values (range)
 * and doc, or returns -1 past the end. */
int env_keys_describe(const EnvKeyTable *t, int i, const char **section, const char **key,
                      char *range, size_t n, const char **doc);

/* The world's table (env/params.c): every key of EnvParams. */
const EnvKeyTable *env_params_table(void);

/* Parses an exact decimal in [0, 1] with at most 9 fraction digits into parts per billion.
 * Returns 0, or ENV_EINPUT for anything else. */
int env_keys_parse_ppb(const char *s, int64_t *out);

/* Formats parts per billion as the shortest exact decimal ("0", "0.005", "1"). */
void env_keys_format_ppb(int64_t ppb, char *buf, size_t n);

#endif
