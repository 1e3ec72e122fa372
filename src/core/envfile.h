/*
 * The .env file reader. No Kore dependency.
 */

#ifndef MTAPI_ENVFILE_H
#define MTAPI_ENVFILE_H

#include <stddef.h>

/*
 * Read NAME=value lines of path into the environment; variables already
 * set are kept. A missing file is no error. On error, a one-line reason
 * is written to err and -1 is returned.
 */
int	envfile_read(const char *, char *, size_t);

#endif
