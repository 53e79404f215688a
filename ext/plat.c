/*
** plat.c — the platform layer (plat.h): opening files by UTF-8 name, the
** "C" locale for Lua, and on Windows the GB18030 decoder.  No SQL, no
** SQLite calls.
*/
#include "plat.h"
#include <errno.h>
#include <fcntl.h>
#include <locale.h>
#include <stdlib.h>
#include <string.h>

#ifdef _WIN32
#include <io.h>
#include <windows.h>

/* path as UTF-16 (malloc'ed), or NULL with errno (EILSEQ: not UTF-8) */
static wchar_t *wide(const char *path) {
  int n = MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, path, -1, NULL, 0);
  if (n <= 0) {
    errno = EILSEQ;
    return NULL;
  }
  wchar_t *w = malloc((size_t)n * sizeof *w);
  if (w == NULL) {
    errno = ENOMEM;
    return NULL;
  }
  MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, path, -1, w, n);
  return w;
}

int zc_plat_open_read(const char *path) {
  wchar_t *w = wide(path);
  if (w == NULL) return -1;
  int fd = _wopen(w, _O_RDONLY | _O_BINARY | _O_NOINHERIT), e = errno;
  DWORD a = fd < 0 && e == EACCES ? GetFileAttributesW(w) : INVALID_FILE_ATTRIBUTES;
  free(w);
  /* Windows opens no directory (EACCES): say what it is, as fstat would */
  errno = a != INVALID_FILE_ATTRIBUTES && (a & FILE_ATTRIBUTE_DIRECTORY) ? EISDIR : e;
  return fd;
}

/* The CRT has no uselocale: the calling thread gets a locale of its own
** (_configthreadlocale) set to "C", and its own again afterwards.  A
** thread already in "C" (every program that never calls setlocale) is
** left alone. */
void *zc_plat_locale_new(void) {
  static char c_locale;
  return &c_locale;
}

void zc_plat_locale_enter(void *c, ZcLocaleSave *save) {
  (void)c;
  const char *cur = setlocale(LC_ALL, NULL);
  save->old = NULL;
  save->mode = 0;
  if (cur == NULL || strcmp(cur, "C") == 0) return;
  save->mode = _configthreadlocale(_ENABLE_PER_THREAD_LOCALE);
  cur = setlocale(LC_ALL, NULL);
  size_t n = cur ? strlen(cur) + 1 : 0;
  if (n && (save->old = malloc(n)) != NULL) memcpy(save->old, cur, n);
  setlocale(LC_ALL, "C");
}

void zc_plat_locale_leave(ZcLocaleSave *save) {
  if (save->mode == 0) return;
  if (save->old) setlocale(LC_ALL, (const char *)save->old);
  free(save->old);
  save->old = NULL;
  _configthreadlocale(save->mode);
}

void zc_plat_locale_free(void *c) { (void)c; }

/* ------------------------------------------------------------ GB18030 */

/* Windows has GB18030 as code page 54936; Wine (8.0) has only GBK, 936,
** which decodes the same one- and two-byte sequences (the four-byte ones
** of GB18030 are then errors). */
#define CP_GB18030 54936
#define CP_GBK 936
struct ZcIconv { int cp; };

iconv_t zc_iconv_open(const char *tocode, const char *fromcode) {
  iconv_t cd;
  UINT cp = IsValidCodePage(CP_GB18030) ? CP_GB18030 : CP_GBK;
  if (strcmp(tocode, "UTF-8") != 0 || strcmp(fromcode, "GB18030") != 0 || !IsValidCodePage(cp)) {
    errno = EINVAL;
    return (iconv_t)-1;
  }
  if ((cd = malloc(sizeof *cd)) == NULL) {
    errno = ENOMEM;
    return (iconv_t)-1;
  }
  cd->cp = (int)cp;
  return cd;
}

int zc_iconv_close(iconv_t cd) {
  free(cd);
  return 0;
}

/* The length of the GB18030 sequence at p (n > 0 bytes left): 1, 2 or 4;
** 0 when the input ends inside it, -1 when it is not one (by its shape;
** the code page decides which well-shaped ones exist). */
static int gb_len(const unsigned char *p, size_t n) {
  if (p[0] < 0x80) return 1;
  if (p[0] == 0x80 || p[0] == 0xff) return -1;
  if (n < 2) return 0;
  if (p[1] >= 0x30 && p[1] <= 0x39) {
    if (n >= 3 && (p[2] < 0x81 || p[2] == 0xff)) return -1;
    if (n < 4) return 0;
    return p[3] >= 0x30 && p[3] <= 0x39 ? 4 : -1;
  }
  return (p[1] >= 0x40 && p[1] <= 0x7e) || (p[1] >= 0x80 && p[1] <= 0xfe) ? 2 : -1;
}

size_t zc_iconv(iconv_t cd, char **in, size_t *inleft, char **out, size_t *outleft) {
  if (in == NULL || *in == NULL) return 0;   /* the initial state: GB18030 has no other */
  while (*inleft > 0) {
    const unsigned char *p = (const unsigned char *)*in;
    int k = gb_len(p, *inleft), nw = 1, nu = 1;
    wchar_t w[2];
    char u[8];
    if (k <= 0) {
      errno = k == 0 ? EINVAL : EILSEQ;
      return (size_t)-1;
    }
    if (k == 1) u[0] = (char)p[0];
    else if ((nw = MultiByteToWideChar((UINT)cd->cp, MB_ERR_INVALID_CHARS, (const char *)p, k, w, 2)) <= 0 ||
             (nu = WideCharToMultiByte(CP_UTF8, 0, w, nw, u, (int)sizeof u, NULL, NULL)) <= 0) {
      errno = EILSEQ;
      return (size_t)-1;
    }
    if ((size_t)nu > *outleft) {
      errno = E2BIG;
      return (size_t)-1;
    }
    memcpy(*out, u, (size_t)nu);
    *out += nu, *outleft -= (size_t)nu;
    *in += k, *inleft -= (size_t)k;
  }
  return 0;
}

#else /* POSIX */
#include <unistd.h>

int zc_plat_open_read(const char *path) {
  int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC), fl;
  if (fd >= 0 && ((fl = fcntl(fd, F_GETFL)) < 0 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) < 0)) {
    int e = errno;
    close(fd);
    errno = e;
    return -1;
  }
  return fd;
}

void *zc_plat_locale_new(void) { return (void *)newlocale(LC_ALL_MASK, "C", (locale_t)0); }

void zc_plat_locale_enter(void *c, ZcLocaleSave *save) {
  save->old = (void *)uselocale((locale_t)c);
  save->mode = 1;
}

void zc_plat_locale_leave(ZcLocaleSave *save) {
  if (save->mode) uselocale((locale_t)save->old);
}

void zc_plat_locale_free(void *c) {
  if (c) freelocale((locale_t)c);
}

#endif
