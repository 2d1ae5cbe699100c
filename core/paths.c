/*
 * paths.c: where the installed warroom finds its policy, secrets and
 * audit key. Alone in its file so that `make install` compiles it with
 * the install's PREFIX (SYSCONFDIR) and links it before the library.
 */
#ifndef WR_SYSCONFDIR
#define WR_SYSCONFDIR "/usr/local/etc"
#endif
const char wr_sysconfdir[] = WR_SYSCONFDIR;
