/* file.c - whole-file reads under a cap. */
#include "lib/file.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

mw_status mw_file_read(const char *path, size_t max, mw_buf *out,
		       bool *truncated)
{
	bool is_stdin = strcmp(path, "-") == 0;
	int fd = is_stdin ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return MW_EIO;
	mw_buf_reset(out);
	out->max = max;
	*truncated = false;
	mw_status st = MW_OK;
	char chunk[65536];
	for (;;) {
		ssize_t got = read(fd, chunk, sizeof chunk);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			st = MW_EIO;
			break;
		}
		if (got == 0)
			break;
		mw_status ap = mw_buf_append_some(out, chunk, (size_t)got);
		if (ap == MW_ETOOBIG) {
			*truncated = true;
			break;
		}
		if (ap != MW_OK) {
			st = ap;
			break;
		}
	}
	if (!is_stdin) {
		int saved = errno;
		close(fd);
		errno = saved;
	}
	return st;
}
