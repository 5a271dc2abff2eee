/*
 * src/server/glob.c: binary-safe glob matching with Redis's rules (*, ?, [abc], [^a-z], \x),
 * used by SCAN/KEYS-style filters in the server and CONFIG GET.
 *
 * Invariant: iterative with one backtrack point for '*', so the cost is bounded by
 * O(len(pattern) * len(string)) whatever the input (no exponential recursion on "a*a*a*").
 */
#include "srv.h"

static char lower(char ch, bool nocase)
{
    return nocase && ch >= 'A' && ch <= 'Z' ? (char)(ch + 32) : ch;
}

/* Matches one [...] class at pat[*pi] (just after '['); advances *pi past ']'. */
static bool class_match(const char *pat, size_t plen, size_t *pi, char ch, bool nocase)
{
    size_t i = *pi;
    bool neg = false, match = false;
    if (i < plen && pat[i] == '^') {
        neg = true;
        i++;
    }
    while (i < plen && pat[i] != ']') {
        if (pat[i] == '\\' && i + 1 < plen) {
            i++;
            if (lower(pat[i], nocase) == lower(ch, nocase))
                match = true;
            i++;
        } else if (i + 2 < plen && pat[i + 1] == '-') {
            char a = lower(pat[i], nocase), b = lower(pat[i + 2], nocase), x = lower(ch, nocase);
            if (a > b) {
                char t = a;
                a = b;
                b = t;
            }
            if (x >= a && x <= b)
                match = true;
            i += 3;
        } else {
            if (lower(pat[i], nocase) == lower(ch, nocase))
                match = true;
            i++;
        }
    }
    *pi = i < plen ? i + 1 : i; /* past ']' (an unclosed class ends the pattern) */
    return neg ? !match : match;
}

bool srv_glob_match(const char *pat, size_t plen, const char *str, size_t slen, bool nocase)
{
    size_t p = 0, s = 0, star_p = (size_t)-1, star_s = 0;
    while (s < slen) {
        if (p < plen) {
            char pc = pat[p];
            if (pc == '*') {
                while (p < plen && pat[p] == '*')
                    p++;
                if (p == plen)
                    return true;
                star_p = p;
                star_s = s;
                continue;
            }
            if (pc == '?') {
                p++;
                s++;
                continue;
            }
            if (pc == '[') {
                size_t np = p + 1;
                if (class_match(pat, plen, &np, str[s], nocase)) {
                    p = np;
                    s++;
                    continue;
                }
            } else {
                if (pc == '\\' && p + 1 < plen)
                    pc = pat[++p];
                if (lower(pc, nocase) == lower(str[s], nocase)) {
                    p++;
                    s++;
                    continue;
                }
            }
        }
        if (star_p == (size_t)-1)
            return false;
        p = star_p;
        s = ++star_s;
    }
    while (p < plen && pat[p] == '*')
        p++;
    return p == plen;
}
