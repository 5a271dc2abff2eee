/*
 * flatline/version.h: libflatline's version, the one place it is written down.
 *
 * The top-level CMakeLists.txt reads FLATLINE_VERSION_MAJOR/MINOR/PATCH from this file for the
 * project version, the shared library's version and the pkg-config and CMake package files, so
 * they cannot disagree. FLATLINE_ABI_VERSION is the shared library's soname number
 * (libflatline.so.<ABI>): it changes when a release breaks binary compatibility (a removed or
 * changed public function or struct layout); adding functions does not change it.
 *
 * A program can compare the header it was compiled with against the library it runs with:
 *     if (fl_abi_version() != FLATLINE_ABI_VERSION) { ...refuse to start... }
 */
#ifndef FLATLINE_VERSION_H
#define FLATLINE_VERSION_H

#define FLATLINE_VERSION_MAJOR 0
#define FLATLINE_VERSION_MINOR 2
#define FLATLINE_VERSION_PATCH 0
#define FLATLINE_ABI_VERSION 0

/* As a single comparable number: 0x00MMmmpp. */
#define FLATLINE_VERSION_NUMBER                                                                    \
    ((FLATLINE_VERSION_MAJOR << 16) | (FLATLINE_VERSION_MINOR << 8) | FLATLINE_VERSION_PATCH)

#ifdef __cplusplus
extern "C" {
#endif

/* The ABI version of the library the program runs with (FLATLINE_ABI_VERSION when it was
 * built). Never fails. */
unsigned fl_abi_version(void);

/* The library's version as FLATLINE_VERSION_NUMBER, for messages and checks. Never fails. */
unsigned fl_version_number(void);

#ifdef __cplusplus
}
#endif

#endif /* FLATLINE_VERSION_H */
