/*
 * file.h - reading a whole file, or standard input, with a cap.
 *
 * Contract: mw_file_read() reads at most `max` bytes of the file at path
 * ("-" is standard input) into out, which it resets first. A file longer
 * than max is not an error: the first max bytes are kept and *truncated is
 * set, so that a caller can still judge what it read. Errors are MW_EIO
 * with errno kept for the caller's message.
 */
#ifndef MW_LIB_FILE_H
#define MW_LIB_FILE_H

#include <stdbool.h>
#include <stddef.h>

#include "lib/buf.h"

mw_status mw_file_read(const char *path, size_t max, mw_buf *out,
		       bool *truncated);

#endif
