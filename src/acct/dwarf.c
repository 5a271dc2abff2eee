/*
 * src/acct/dwarf.c: code addresses to names from the program's own files, in the driver's
 * process, with elfutils' libdwfl: the module's ELF file (or its separate debug file, found by
 * build-id or .gnu_debuglink under /usr/lib/debug), its symbol table and its DWARF line and
 * inline information. One address gives one frame per inlined call, innermost first:
 *   "leak_helper (file.c:12) (inlined)", "leak_function (file.c:40)".
 * A symbol is only named when the address lies inside it (its st_size): a stripped binary's
 * nearest exported symbol would be a wrong name, so it gets "module+0xOFFSET" instead.
 * C++ names are demangled with the C++ runtime's __cxa_demangle when it can be loaded.
 * Errors: a module that cannot be opened resolves nothing (its frames stay raw).
 */
#include "driver_internal.h"

#include <dlfcn.h>
#include <dwarf.h>
#include <elfutils/libdw.h>
#include <elfutils/libdwfl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct drv_dwarf {
    Dwfl *dwfl;
    Dwfl_Module *mod;
    GElf_Addr low;      /* where the module sits in dwfl's address space */
    char basename[256]; /* for "module+0xOFF" (a copy: the handle outlives the caller's text) */
};

static const Dwfl_Callbacks callbacks = {
    .find_elf = dwfl_build_id_find_elf,
    .find_debuginfo = dwfl_standard_find_debuginfo,
    .section_address = dwfl_offline_section_address,
};

drv_dwarf_t *drv_dwarf_open(const char *module)
{
    drv_dwarf_t *d = calloc(1, sizeof *d);
    if (!d || !(d->dwfl = dwfl_begin(&callbacks))) {
        free(d);
        return NULL;
    }
    d->mod = dwfl_report_offline(d->dwfl, "", module, -1);
    dwfl_report_end(d->dwfl, NULL, NULL);
    if (!d->mod) {
        drv_dwarf_close(d);
        return NULL;
    }
    dwfl_module_info(d->mod, NULL, &d->low, NULL, NULL, NULL, NULL, NULL);
    const char *slash = strrchr(module, '/');
    snprintf(d->basename, sizeof d->basename, "%s", slash ? slash + 1 : module);
    return d;
}

void drv_dwarf_close(drv_dwarf_t *d)
{
    if (!d)
        return;
    if (d->dwfl)
        dwfl_end(d->dwfl);
    free(d);
}

/* name, demangled into buf when it is a C++ name and the C++ runtime is there. */
static const char *demangle(const char *name, char *buf, size_t cap)
{
    typedef char *(*demangle_fn)(const char *, char *, size_t *, int *);
    static demangle_fn fn;
    static int tried;
    if (!name || strncmp(name, "_Z", 2) != 0)
        return name;
    if (!tried) {
        tried = 1;
        void *h = dlopen("libstdc++.so.6", RTLD_LAZY | RTLD_LOCAL);
        fn = h ? (demangle_fn)dlsym(h, "__cxa_demangle") : NULL;
    }
    int status = -1;
    char *out = fn ? fn(name, NULL, NULL, &status) : NULL;
    if (!out || status != 0) {
        free(out);
        return name;
    }
    snprintf(buf, cap, "%s", out);
    free(out);
    return buf;
}

/* A DIE's function name: its linkage name (demangled) or name, following abstract origins. */
static const char *die_name(Dwarf_Die *die, char *buf, size_t cap)
{
    Dwarf_Attribute attr;
    const char *n = dwarf_formstring(dwarf_attr_integrate(die, DW_AT_linkage_name, &attr));
    if (!n)
        n = dwarf_formstring(dwarf_attr_integrate(die, DW_AT_MIPS_linkage_name, &attr));
    if (n)
        return demangle(n, buf, cap);
    return dwarf_formstring(dwarf_attr_integrate(die, DW_AT_name, &attr));
}

static size_t append(char *out, size_t cap, size_t n, const char *fn, const char *file, int line,
                     int inlined)
{
    if (n >= cap)
        return n;
    int w =
        file ? snprintf(out + n, cap - n, "%s%s (%s:%d)%s", n ? "\n" : "", fn, file, line,
                        inlined ? " (inlined)" : "")
             : snprintf(out + n, cap - n, "%s%s%s", n ? "\n" : "", fn, inlined ? " (inlined)" : "");
    return w > 0 ? n + (size_t)w : n;
}

/* The inline chain at a (DWARF address a - bias in cu) into out. dwarf_getscopes follows an
 * inlined instance into its abstract definition, so the callers of an inlined call come from
 * the physical parents of its DIE (dwarf_getscopes_die), each at the previous inlined call's
 * call_file:call_line. Returns frames written. */
static int inline_chain(Dwarf_Die *cu, Dwarf_Addr a, Dwarf_Addr bias, const char *file, int line,
                        char *out, size_t cap)
{
    Dwarf_Die *scopes = NULL, *parents = NULL;
    int nscopes = dwarf_getscopes(cu, a - bias, &scopes), first = -1;
    for (int i = 0; i < nscopes && first < 0; i++) {
        int tag = dwarf_tag(&scopes[i]);
        if (tag == DW_TAG_inlined_subroutine || tag == DW_TAG_subprogram)
            first = i;
    }
    int nparents = first >= 0 ? dwarf_getscopes_die(&scopes[first], &parents) : 0;
    Dwarf_Files *files = NULL;
    size_t nfiles = 0;
    dwarf_getsrcfiles(cu, &files, &nfiles);
    int frames = 0;
    size_t n = 0;
    char buf[1024];
    for (int i = 0; i < nparents; i++) {
        int tag = dwarf_tag(&parents[i]);
        if (tag != DW_TAG_inlined_subroutine && tag != DW_TAG_subprogram)
            continue;
        const char *fn = die_name(&parents[i], buf, sizeof buf);
        n = append(out, cap, n, fn ? fn : "??", file, line, tag == DW_TAG_inlined_subroutine);
        frames++;
        if (tag == DW_TAG_subprogram)
            break;
        /* the enclosing function's position is this inlined call's */
        Dwarf_Attribute attr;
        Dwarf_Word idx = 0, cl = 0;
        if (dwarf_formudata(dwarf_attr(&parents[i], DW_AT_call_file, &attr), &idx) == 0 && files)
            file = dwarf_filesrc(files, idx, NULL, NULL);
        if (dwarf_formudata(dwarf_attr(&parents[i], DW_AT_call_line, &attr), &cl) == 0)
            line = (int)cl;
    }
    free(parents);
    free(scopes);
    return frames;
}

int drv_dwarf_frame(drv_dwarf_t *d, unsigned long off, char *out, size_t cap)
{
    Dwarf_Addr a = d->low + off;
    out[0] = 0;
    const char *file = NULL;
    int line = 0;
    Dwfl_Line *src = dwfl_module_getsrc(d->mod, a);
    if (src)
        file = dwfl_lineinfo(src, NULL, &line, NULL, NULL, NULL);
    Dwarf_Addr bias = 0;
    Dwarf_Die *cu = dwfl_module_addrdie(d->mod, a, &bias);
    if (cu && inline_chain(cu, a, bias, file, line, out, cap) > 0)
        return 1;
    GElf_Off symoff = 0;
    GElf_Sym sym;
    const char *name = dwfl_module_addrinfo(d->mod, a, &symoff, &sym, NULL, NULL, NULL);
    char buf[1024];
    if (name && sym.st_size > 0 && symoff < sym.st_size) {
        append(out, cap, 0, demangle(name, buf, sizeof buf), file, line, 0);
        return 1;
    }
    snprintf(out, cap, "%s+%#lx", d->basename, off); /* no symbol contains it: stripped */
    return 0;
}
