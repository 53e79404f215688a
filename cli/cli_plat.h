/*
** cli_plat.h — the command's platform layer (cli_plat.c): UTF-8 arguments
** and console on Windows, the terminal's width, and on Windows the POSIX
** calls cli/ makes (open_memstream; stat, fopen, unlink, mkdir, rename by
** UTF-8 name)
** mapped onto the C runtime's wide-character functions.  Every #ifdef
** _WIN32 of cli/ is here and in cli_plat.c.
*/
#ifndef ZC_CLI_PLAT_H
#define ZC_CLI_PLAT_H
#include <stdio.h>
#include <sys/stat.h>

/* Windows: the arguments as UTF-8 (GetCommandLineW) and the console in
** UTF-8; elsewhere nothing. */
void cli_plat_args(int *argc, char ***argv);
/* the width of the terminal on stderr, or 0 when unknown */
int cli_plat_cols(void);

#ifdef _WIN32
FILE *cli_open_memstream(char **buf, size_t *len);
int cli_fclose(FILE *f);
FILE *cli_fopen(const char *path, const char *mode);
int cli_unlink(const char *path);
int cli_stat(const char *path, struct _stat64 *sb);
int cli_mkdir(const char *path, int mode);
int cli_rename(const char *from, const char *to);   /* replaces to, as POSIX rename does */
#define mkdir cli_mkdir
#define rename cli_rename
#define open_memstream cli_open_memstream
#define fclose cli_fclose
#define fopen cli_fopen
#define unlink cli_unlink
/* sys/stat.h (with _FILE_OFFSET_BITS=64) makes stat _stat64: the call
** stat(path, &sb) becomes cli_stat, struct stat stays struct _stat64 */
#define _stat64(p, b) cli_stat((p), (b))
/* libxlsxwriter opens the workbook with fopen (the ANSI code page): the
** UTF-8 name is given to it in that code page (on Chinese Windows, 936,
** which has every Chinese name); a name it cannot spell is refused */
#define workbook_new_opt cli_workbook_new_opt
/* io.h declares dup(); export.c has a function of its own by that name */
#define dup cli_export_dup
#endif

#endif
