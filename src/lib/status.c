/* status.c - names of the shared result codes. */
#include "lib/status.h"

const char *mw_status_str(mw_status st)
{
	switch (st) {
	case MW_OK:
		return "ok";
	case MW_ETRUNCATED:
		return "truncated at a limit";
	case MW_ENOMEM:
		return "out of memory";
	case MW_ETOOBIG:
		return "over a size limit";
	case MW_EINVAL:
		return "invalid input";
	case MW_EIO:
		return "input/output error";
	}
	return "unknown status";
}
