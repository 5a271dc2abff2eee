#!/usr/bin/env python3
"""bench/acct-breakdown.py: where flatline-acct's instructions above the plain program go.

    acct-breakdown.py NAME PLAIN_PREFIX ACCT_PREFIX

reads callgrind's per-thread files (--separate-threads=yes: PREFIX.<pid>-NN) of one program run
plain and under the library, and prints one line per part of the library: the wrappers' common
case, the slow paths (why they are taken), sampling, threads' first call and exit, start-up, the
final report, and the monitor thread (thread 2: the library's constructor starts it before the
program's own threads) with its cost per interval. Costs are inclusive, without the allocator's
own work reached from a slow path (the plain run does that too); what no part explains is the
"rest": glibc's and the program's own differences (a single-threaded program's malloc takes its
arena lock once the monitor thread exists; programs that spin while they wait).
bench/acct-callgrind.sh runs it.
"""
import collections
import glob
import re
import sys

LIB = 'libflatline-acct.so:'
NAME_RE = re.compile(r'(ob|fn|cob|cfn|fl|fi|fe|cfi|cfl)=(?:\((\d+)\))?\s*(.*)')


def parse(paths):
    """Sums callgrind files: total, self and inclusive cost and calls per 'object:function', and
    the inclusive cost of each caller -> callee edge."""
    own, incl, calls, edges = (collections.Counter() for _ in range(4))
    total = 0
    for path in paths:
        objects, functions = {}, {}
        fn = ob = cob = cfn = callee = None
        with open(path) as f:
            for line in f:
                line = line.rstrip('\n')
                if not line:
                    continue
                if line[0].isdigit() or line[0] in '+-*':
                    parts = line.split()
                    if len(parts) < 2:
                        continue
                    cost = int(parts[1])
                    incl[fn] += cost
                    if callee is None:
                        own[fn] += cost
                    else:
                        edges[(fn, callee)] += cost
                        callee = None
                    continue
                m = NAME_RE.match(line)
                if m:
                    kind, idx, name = m.groups()
                    if kind in ('ob', 'cob'):
                        table, name = objects, name.split('/')[-1]
                    elif kind in ('fn', 'cfn'):
                        table = functions
                    else:
                        continue
                    if idx and name:
                        table[idx] = name
                    value = table.get(idx) if idx else name
                    if kind == 'ob':
                        ob = value
                    elif kind == 'cob':
                        cob = value
                    elif kind == 'fn':
                        fn, cob = f'{ob}:{value}', ob
                    else:
                        cfn = value
                elif line.startswith('calls='):
                    callee = f'{cob}:{cfn}'
                    calls[callee] += int(line.split('=')[1].split()[0])
                    cob = ob
                elif line.startswith('summary:'):
                    total += int(line.split()[1])
    return total, own, incl, calls, edges


def main():
    name, plain_prefix, acct_prefix = sys.argv[1:4]
    plain = sorted(glob.glob(plain_prefix + '.*-*'))
    acct = sorted(glob.glob(acct_prefix + '.*-*'))
    monitor = [f for f in acct if f.endswith('-02')]
    rest = [f for f in acct if f not in monitor]
    plain_total = parse(plain)[0]
    total, own, incl, calls, edges = parse(rest)
    mon_total, _, _, mon_calls, _ = parse(monitor)
    intervals = mon_calls[LIB + 'acct_sites_watch']

    def inc(fn):
        return incl[LIB + fn]

    free_callers = ['acct_free_slow', 'free_armed', 'free_general', 'je_free_big']
    free_slow = inc('acct_free_slow') - sum(edges[(LIB + c, 'libc.so.6:free')] for c in free_callers)
    # realloc and the aligned allocators, less the real function each calls
    wrappers = sum(inc(f) - edges[(LIB + f, 'libc.so.6:' + f)]
                   for f in ('realloc', 'posix_memalign', 'aligned_alloc', 'memalign'))
    rows = [
        ('common case (malloc, calloc, free)', own[LIB + 'malloc'] + own[LIB + 'free'] + own[LIB + 'calloc']),
        ('sampled allocations (walk, site, tables, filter)', inc('alloc_sample')),
        ('other slow allocations (parked, general)', inc('acct_alloc_slow') - inc('alloc_sample')),
        ('sizes outside the slots (buckets)', inc('acct_alloc_big')),
        ('slow frees (sampled, own, NULL, big blocks)', free_slow),
        ('realloc and the aligned allocators', wrappers),
        ("threads' first call", inc('acct_thread_slow')),
        ("threads' exit", inc('thread_exit')),
        ('start-up (constructor)', inc('acct_start')),
        ('final report at exit', inc('acct_final_report') + inc('acct_stop')),
    ]
    above = total - plain_total
    print(f'{name}: plain {plain_total / 1e6:.1f}M; under flatline-acct without the monitor thread '
          f'{total / 1e6:.1f}M ({total / plain_total:.3f}x), with it {(total + mon_total) / 1e6:.1f}M '
          f'({(total + mon_total) / plain_total:.3f}x)')
    print(f'  {calls[LIB + "malloc"]} mallocs, {calls[LIB + "free"]} frees, '
          f'{calls[LIB + "acct_sample_alloc"]} samples, '
          f'{calls[LIB + "free_armed"] + calls[LIB + "free_general"]} slow frees, '
          f'{calls[LIB + "acct_thread_slow"]} thread states taken')
    for label, cost in rows:
        print(f'  {label:52s} {cost / 1e6:8.2f}M {100 * cost / plain_total:5.1f}% of plain')
    unexplained = above - sum(cost for _, cost in rows)
    print(f'  {"rest (glibc and the program: see the README)":52s} {unexplained / 1e6:8.2f}M '
          f'{100 * unexplained / plain_total:5.1f}% of plain')
    per = f', {mon_total / intervals / 1e3:.0f}K each' if intervals else ''
    print(f'  {"monitor thread (" + str(intervals) + " intervals" + per + ")":52s} '
          f'{mon_total / 1e6:8.2f}M {100 * mon_total / plain_total:5.1f}% of plain')


if __name__ == '__main__':
    main()
