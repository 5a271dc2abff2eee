/*
 * src/store/glob.c: glob matching for SCAN MATCH and CONFIG GET, with the semantics of Redis's
 * stringmatchlen (case-sensitive, or ASCII case-insensitive on request as CONFIG GET wants):
 * '*' any run, '?' any one byte, '[abc]' a class, '[^abc]' its negation, '[a-z]' ranges
 * (reversed ends are swapped), '\x' the literal x (inside classes too); a trailing '\' is a
 * literal backslash; an unterminated class ends at the end of the pattern.
 *
 * Redis recurses on '*' (and caps the nesting); this file uses the classic single-backtrack
 * loop instead, which accepts exactly the same strings (every token other than '*' consumes
 * exactly one byte) in O(pattern * string) time with no recursion.
 */
#include "store_internal.h"

#include <ctype.h>

/* The byte as compared: ASCII-lowered when nocase (Redis's tolower on both sides). */
static int fold(unsigned char c, bool nocase)
{
    return nocase ? tolower(c) : c;
}

/* Matches one non-star token at pat[*pi] against c; sets *pi past the token. */
static bool token_match(const char *pat, size_t plen, size_t *pi, unsigned char c, bool nocase)
{
    size_t i = *pi;
    unsigned char t = (unsigned char)pat[i];
    if (t == '?') {
        *pi = i + 1;
        return true;
    }
    if (t == '\\') {
        if (plen - i >= 2)
            i++;
        *pi = i + 1;
        return fold((unsigned char)pat[i], nocase) == fold(c, nocase);
    }
    if (t != '[') {
        *pi = i + 1;
        return fold(t, nocase) == fold(c, nocase);
    }
    /* A class: mirror Redis's loop, including its end-of-pattern and range rules. */
    i++;
    bool neg = i < plen && pat[i] == '^';
    if (neg)
        i++;
    bool match = false;
    for (;;) {
        if (i < plen && pat[i] == '\\' && plen - i >= 2) {
            i++;
            if (fold((unsigned char)pat[i], nocase) == fold(c, nocase))
                match = true;
        } else if (i < plen && pat[i] == ']') {
            break;
        } else if (i >= plen) {
            i--; /* Redis steps back onto the last byte, which the caller then skips */
            break;
        } else if (plen - i >= 3 && pat[i + 1] == '-') {
            /* Redis compares range ends as (signed) char: mirror it for bytes >= 0x80. */
            int lo = (signed char)pat[i], hi = (signed char)pat[i + 2], sc = (signed char)c;
            if (nocase) {
                lo = (signed char)tolower((unsigned char)pat[i]);
                hi = (signed char)tolower((unsigned char)pat[i + 2]);
                sc = (signed char)tolower(c);
            }
            if (lo > hi) {
                int tmp = lo;
                lo = hi;
                hi = tmp;
            }
            i += 2;
            if (sc >= lo && sc <= hi)
                match = true;
        } else if (fold((unsigned char)pat[i], nocase) == fold(c, nocase)) {
            match = true;
        }
        i++;
    }
    *pi = i + 1;
    return neg ? !match : match;
}

bool fl_glob_match(const char *pat, size_t plen, const char *s, size_t slen, bool nocase)
{
    size_t pi = 0, si = 0;
    size_t star_p = SIZE_MAX, star_s = 0;
    while (si < slen) {
        if (pi < plen && pat[pi] == '*') {
            while (pi < plen && pat[pi] == '*')
                pi++;
            if (pi == plen)
                return true;
            star_p = pi;
            star_s = si;
            continue;
        }
        size_t next = pi;
        if (pi < plen && token_match(pat, plen, &next, (unsigned char)s[si], nocase)) {
            pi = next;
            si++;
            continue;
        }
        if (star_p == SIZE_MAX)
            return false;
        si = ++star_s;
        pi = star_p;
    }
    while (pi < plen && pat[pi] == '*')
        pi++;
    return pi == plen;
}
