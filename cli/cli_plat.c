/*
** cli_plat.c — the command's platform layer (cli_plat.h).  On Windows:
** arguments and console in UTF-8, files by UTF-8 name (_wfopen, _wstat64,
** _wunlink, _wmkdir, MoveFileExW), open_memstream over a temporary file, the console's width.
*/
#ifdef _WIN32
#include <direct.h>        /* _wmkdir; before cli_plat.h renames mkdir */
#include <xlsxwriter.h>   /* before cli_plat.h renames workbook_new_opt */
#endif
#include "cli_plat.h"

#ifdef _WIN32
#include <errno.h>
#include <io.h>
#include <stdlib.h>
#include <string.h>
#include <windows.h>
#undef fopen
#undef fclose
#undef workbook_new_opt

static wchar_t *wide(const char *s) {
  int n = MultiByteToWideChar(CP_UTF8, 0, s, -1, NULL, 0);
  wchar_t *w = n > 0 ? malloc((size_t)n * sizeof *w) : NULL;
  if (w) MultiByteToWideChar(CP_UTF8, 0, s, -1, w, n);
  return w;
}

static char *narrow(const wchar_t *w) {
  int n = WideCharToMultiByte(CP_UTF8, 0, w, -1, NULL, 0, NULL, NULL);
  char *s = n > 0 ? malloc((size_t)n) : NULL;
  if (s) WideCharToMultiByte(CP_UTF8, 0, w, -1, s, n, NULL, NULL);
  return s;
}

void cli_plat_args(int *argc, char ***argv) {
  SetConsoleOutputCP(CP_UTF8);
  SetConsoleCP(CP_UTF8);
  int n = 0;
  wchar_t **wv = CommandLineToArgvW(GetCommandLineW(), &n);
  char **v = wv && n > 0 ? calloc((size_t)n + 1, sizeof *v) : NULL;
  if (v == NULL) return;   /* keep the C runtime's (ANSI) arguments */
  for (int i = 0; i < n; i++)
    if ((v[i] = narrow(wv[i])) == NULL) return;
  LocalFree(wv);
  *argc = n;
  *argv = v;   /* kept for the life of the process */
}

int cli_plat_cols(void) {
  CONSOLE_SCREEN_BUFFER_INFO bi;
  if (GetConsoleScreenBufferInfo(GetStdHandle(STD_ERROR_HANDLE), &bi)) return bi.srWindow.Right - bi.srWindow.Left + 1;
  return 0;
}

FILE *cli_fopen(const char *path, const char *mode) {
  wchar_t *w = wide(path), *m = wide(mode);
  FILE *f = w && m ? _wfopen(w, m) : NULL;
  free(w);
  free(m);
  return f;
}

int cli_unlink(const char *path) {
  wchar_t *w = wide(path);
  int rc = w ? _wunlink(w) : -1;
  free(w);
  return rc;
}

int cli_stat(const char *path, struct _stat64 *sb) {
  wchar_t *w = wide(path);
  int rc = w ? _wstat64(w, sb) : -1;
  free(w);
  return rc;
}

lxw_workbook *cli_workbook_new_opt(const char *path, lxw_workbook_options *opt) {
  wchar_t *w = wide(path);
  BOOL lost = FALSE;
  int n = w ? WideCharToMultiByte(CP_ACP, WC_NO_BEST_FIT_CHARS, w, -1, NULL, 0, NULL, &lost) : 0;
  char *a = n > 0 && !lost ? malloc((size_t)n) : NULL;
  lxw_workbook *wb = NULL;
  if (a && WideCharToMultiByte(CP_ACP, WC_NO_BEST_FIT_CHARS, w, -1, a, n, NULL, &lost) > 0 && !lost)
    wb = workbook_new_opt(a, opt);
  free(a);
  free(w);
  return wb;
}

int cli_mkdir(const char *path, int mode) {
  (void)mode;
  wchar_t *w = wide(path);
  int rc = w ? _wmkdir(w) : -1;
  free(w);
  return rc;
}

int cli_rename(const char *from, const char *to) {
  wchar_t *a = wide(from), *b = wide(to);
  int ok = a && b && MoveFileExW(a, b, MOVEFILE_REPLACE_EXISTING);
  free(a);
  free(b);
  if (!ok) errno = EACCES;
  return ok ? 0 : -1;
}

/* open_memstream: the rows go to a temporary file (deleted when closed);
** cli_fclose reads it back into *buf before closing it. */
static struct { FILE *f; char **buf; size_t *len; } mems[4];

FILE *cli_open_memstream(char **buf, size_t *len) {
  wchar_t dir[MAX_PATH + 1], name[MAX_PATH + 1];
  *buf = NULL;
  *len = 0;
  for (int i = 0; i < 4; i++) {
    if (mems[i].f) continue;
    if (!GetTempPathW(MAX_PATH + 1, dir) || !GetTempFileNameW(dir, L"zc", 0, name)) return NULL;
    FILE *f = _wfopen(name, L"w+bTD");
    if (f == NULL) return NULL;
    mems[i].f = f, mems[i].buf = buf, mems[i].len = len;
    return f;
  }
  return NULL;
}

int cli_fclose(FILE *f) {
  for (int i = 0; f && i < 4; i++) {
    if (mems[i].f != f) continue;
    mems[i].f = NULL;
    long n = (fflush(f) == 0 && fseek(f, 0, SEEK_END) == 0) ? ftell(f) : -1;
    char *b = n >= 0 ? malloc((size_t)n + 1) : NULL;
    if (b && (fseek(f, 0, SEEK_SET) != 0 || fread(b, 1, (size_t)n, f) != (size_t)n)) free(b), b = NULL;
    if (b) b[n] = 0, *mems[i].buf = b, *mems[i].len = (size_t)n;
    fclose(f);
    return b ? 0 : EOF;
  }
  return fclose(f);
}

#else /* POSIX */
#include <sys/ioctl.h>
#include <unistd.h>

void cli_plat_args(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
}

int cli_plat_cols(void) {
  struct winsize ws;
  return ioctl(2, TIOCGWINSZ, &ws) == 0 ? ws.ws_col : 0;
}
#endif
