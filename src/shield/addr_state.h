/*
 * addr_state.h - retired and receive-only addresses, as the store keeps
 * them.
 *
 * Contract: an address is active unless the store holds the setting
 * "state" under the key "addr:<address>" (the address lower-cased by
 * mw_store_key()). "retired": all mail to it is refused (550 5.1.1) and
 * it sends nothing. "receive-only": it receives mail but never sends, so
 * every bounce to it is backscatter and outbound mail from it is
 * refused. Restoring an address deletes the setting. The shield reads
 * these at MAIL and RCPT; `mailwarden address` (and later the panel)
 * writes them. A value the shield does not know reads as active, with a
 * warning: an unknown word must not block mail.
 */
#ifndef MW_SHIELD_ADDR_STATE_H
#define MW_SHIELD_ADDR_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "lib/status.h"
#include "store/store.h"

/* The store namespace and setting name of an address's state. */
#define MW_ADDR_STATE_NS "addr"
#define MW_ADDR_STATE_SETTING "state"

typedef enum mw_addr_state {
	MW_ADDR_ACTIVE = 0,
	MW_ADDR_RETIRED,
	MW_ADDR_RECEIVE_ONLY,
} mw_addr_state;

/* "active", "retired", "receive-only". */
const char *mw_addr_state_name(mw_addr_state s);
/* The state named s (as above, case-insensitive); false for another
 * word. */
bool mw_addr_state_parse(const char *s, mw_addr_state *out);

/* The state of address (bare, untagged). MW_EINVAL for an address that
 * cannot be a store key (empty, spaces, control bytes, too long); the
 * store's status when it cannot answer. *out is MW_ADDR_ACTIVE unless
 * MW_OK says otherwise. */
mw_status mw_addr_state_get(mw_store *st, const char *address,
			    mw_addr_state *out);

/* Set the state of address at now; MW_ADDR_ACTIVE deletes the setting. */
mw_status mw_addr_state_set(mw_store *st, const char *address, mw_addr_state s,
			    time_t now);

/* The addresses that are not active, in address order, at most limit
 * (<= MW_STORE_READ_MAX). Each item's key is "addr:<address>", its value
 * the state's name and t when it was set. out is reset first. */
mw_status mw_addr_state_list(mw_store *st, size_t limit, mw_store_list *out);

#endif
