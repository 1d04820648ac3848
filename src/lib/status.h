/*
 * status.h - the result codes shared by every module.
 *
 * Contract: functions that can fail return an mw_status; MW_OK is zero so
 * `if (rc) ...` reads naturally. MW_ETRUNCATED is not a failure: the call did
 * its work on as much input as a limit allowed, and the caller should say so
 * ("truncated": true) rather than discard the result.
 */
#ifndef MW_LIB_STATUS_H
#define MW_LIB_STATUS_H

typedef enum mw_status {
	MW_OK = 0,
	MW_ETRUNCATED = 1, /* done, on a prefix of the input (a limit hit) */
	MW_ENOMEM = -1,	   /* the allocator, or an arena's cap, said no */
	MW_ETOOBIG = -2,   /* a capped buffer would go over its cap */
	MW_EINVAL = -3,	   /* the input is not of the expected form */
	MW_EIO = -4,	   /* a read or write failed */
} mw_status;

/* A short English name for a status, for logs and error lines. */
const char *mw_status_str(mw_status st);

#endif
