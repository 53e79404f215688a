/*
** plat.h — the platform layer: the few things ext/ does differently on
** Windows (the mingw-w64 build, windows/) and on POSIX systems.  Opening a
** file by its UTF-8 name, running Lua in the "C" locale, and (Windows
** only) the GB18030 -> UTF-8 converter in iconv's shape.  Every #ifdef
** _WIN32 of ext/ is here and in plat.c.  Threads use POSIX threads on both
** (on Windows mingw-w64's winpthreads, linked statically).
*/
#ifndef ZC_PLAT_H
#define ZC_PLAT_H
#include <stddef.h>
#include <sys/stat.h>

/* Opens the file named path (UTF-8) for reading, as a descriptor for
** read/fstat/fdopen(.., "rb"); a FIFO does not make it wait for a writer.
** -1 with errno when it cannot; EISDIR for a directory on Windows (which
** opens none: on POSIX a directory opens, and fstat says what it is). */
int zc_plat_open_read(const char *path);

/* The "C" locale made once (NULL: out of memory), put in force for the
** calling thread between zc_plat_locale_enter and _leave, freed by
** zc_plat_locale_free. */
typedef struct { void *old; int mode; } ZcLocaleSave;
void *zc_plat_locale_new(void);
void zc_plat_locale_enter(void *c, ZcLocaleSave *save);
void zc_plat_locale_leave(ZcLocaleSave *save);
void zc_plat_locale_free(void *c);

#ifndef S_ISSOCK
#define S_ISSOCK(m) 0   /* Windows files are never sockets */
#endif
#ifndef S_ISBLK
#define S_ISBLK(m) 0
#endif

#ifdef _WIN32
/* Windows has no iconv: GB18030 -> UTF-8 (the one conversion ext/ makes),
** with iconv's contract (EILSEQ at the first byte that is not GB18030,
** EINVAL for a sequence cut by the end of the input, E2BIG), through the
** system's code page 54936. */
typedef struct ZcIconv *iconv_t;
iconv_t zc_iconv_open(const char *tocode, const char *fromcode);
size_t zc_iconv(iconv_t cd, char **in, size_t *inleft, char **out, size_t *outleft);
int zc_iconv_close(iconv_t cd);
#define iconv_open zc_iconv_open
#define iconv zc_iconv
#define iconv_close zc_iconv_close
#else
#include <iconv.h>
#endif

#endif
