/*
 * protocol.h - the Sendmail milter protocol, version 6, as Postfix speaks
 * it: the wire constants, option negotiation, and which reply may answer
 * which command.
 *
 * Contract: everything here is pure (no I/O, no allocation). The MTA opens
 * each connection with OPTNEG, offering a protocol version, the actions a
 * filter may take (MW_SMFIF_*) and the protocol steps it can leave out or
 * not wait for (MW_SMFIP_*). mw_milter_negotiate() turns that offer and
 * what we want into the agreed options; the agreed options then say which
 * commands the MTA waits for an answer to (mw_milter_expects_reply()) and
 * which replies may be sent to which command (mw_milter_reply_allowed()):
 * message modifications only in answer to end of message, and only when
 * their action was agreed. The decoder (decoder.h) and the encoder
 * (encoder.h) use these names; the values are the protocol's, as in
 * libmilter's mfdef.h and Postfix's milter8.c.
 */
#ifndef MW_MILTER_PROTOCOL_H
#define MW_MILTER_PROTOCOL_H

#include <stdbool.h>
#include <stdint.h>

#include "lib/status.h"

/* The protocol version we speak; Postfix has offered 6 since 2.6. */
#define MW_MILTER_VERSION 6u
/* The oldest version with the commands we need (libmilter's floor too). */
#define MW_MILTER_VERSION_MIN 2u

/* Every frame: a 4-byte big-endian length that counts the command byte
 * and the payload, then the command byte, then the payload. */
#define MW_MILTER_LEN_BYTES 4u
/* Postfix and libmilter cut message bodies into chunks of this size. */
#define MW_MILTER_CHUNK_SIZE 65535u
/* OPTNEG carries three 32-bit words: version, actions, protocol. */
#define MW_MILTER_OPTNEG_LEN 12u

/* Commands, MTA to filter. */
enum mw_smfic {
	MW_SMFIC_ABORT = 'A',	/* abort the current message */
	MW_SMFIC_BODY = 'B',	/* a body chunk */
	MW_SMFIC_CONNECT = 'C', /* client host name, family, port, address */
	MW_SMFIC_MACRO = 'D',	/* macros for the command that follows */
	MW_SMFIC_BODYEOB = 'E', /* end of message (may carry a last chunk) */
	MW_SMFIC_HELO = 'H',	/* HELO/EHLO name */
	MW_SMFIC_QUIT_NC = 'K', /* quit, a new connection follows */
	MW_SMFIC_HEADER = 'L',	/* one header field: name, value */
	MW_SMFIC_MAIL = 'M',	/* MAIL FROM: sender, ESMTP args */
	MW_SMFIC_EOH = 'N',	/* end of headers */
	MW_SMFIC_OPTNEG = 'O',	/* option negotiation */
	MW_SMFIC_QUIT = 'Q',	/* close the connection */
	MW_SMFIC_RCPT = 'R',	/* RCPT TO: recipient, ESMTP args */
	MW_SMFIC_DATA = 'T',	/* DATA */
	MW_SMFIC_UNKNOWN = 'U', /* an SMTP command the MTA did not know */
};

/* Replies, filter to MTA. */
enum mw_smfir {
	MW_SMFIR_ADDRCPT = '+',	    /* add recipient */
	MW_SMFIR_DELRCPT = '-',	    /* delete recipient */
	MW_SMFIR_ADDRCPT_PAR = '2', /* add recipient with ESMTP args */
	MW_SMFIR_SHUTDOWN = '4',    /* 421 and close (not sent by us) */
	MW_SMFIR_ACCEPT = 'a',	    /* accept the message or connection */
	MW_SMFIR_REPLBODY = 'b',    /* replace body (not sent by us) */
	MW_SMFIR_CONTINUE = 'c',    /* go on */
	MW_SMFIR_DISCARD = 'd',	    /* accept and drop the message */
	MW_SMFIR_CHGFROM = 'e',	    /* change the envelope sender */
	MW_SMFIR_CONN_FAIL = 'f',   /* fail the connection (not sent by us) */
	MW_SMFIR_ADDHEADER = 'h',   /* append a header */
	MW_SMFIR_INSHEADER = 'i',   /* insert a header at an index */
	MW_SMFIR_SETSYMLIST = 'l',  /* macro lists (only inside OPTNEG) */
	MW_SMFIR_CHGHEADER = 'm',   /* change or delete a header */
	MW_SMFIR_PROGRESS = 'p',    /* still working: restart the timer */
	MW_SMFIR_QUARANTINE = 'q',  /* hold the message */
	MW_SMFIR_REJECT = 'r',	    /* 5xx with the MTA's text */
	MW_SMFIR_SKIP = 's',	    /* send no more of this command */
	MW_SMFIR_TEMPFAIL = 't',    /* 4xx with the MTA's text */
	MW_SMFIR_REPLYCODE = 'y',   /* 4xx/5xx with our text */
};

/* Actions a filter may take at end of message (OPTNEG "actions"). */
#define MW_SMFIF_ADDHDRS 0x001u	    /* add or insert headers */
#define MW_SMFIF_CHGBODY 0x002u	    /* replace the body */
#define MW_SMFIF_ADDRCPT 0x004u	    /* add recipients */
#define MW_SMFIF_DELRCPT 0x008u	    /* delete recipients */
#define MW_SMFIF_CHGHDRS 0x010u	    /* change or delete headers */
#define MW_SMFIF_QUARANTINE 0x020u  /* quarantine the message */
#define MW_SMFIF_CHGFROM 0x040u	    /* change the envelope sender */
#define MW_SMFIF_ADDRCPT_PAR 0x080u /* add recipients with ESMTP args */
#define MW_SMFIF_SETSYMLIST 0x100u  /* send macro lists in OPTNEG */
#define MW_SMFIF_ALL 0x1ffu	    /* every action of version 6 */

/* Protocol steps (OPTNEG "protocol"). NO*: the MTA does not send that
 * command at all (its MACRO command still comes: Postfix sends the macros
 * of a step it skips). NR_*: the MTA sends the command but does not wait
 * for an answer, and the filter must not send one. */
#define MW_SMFIP_NOCONNECT 0x000001u   /* no CONNECT */
#define MW_SMFIP_NOHELO 0x000002u      /* no HELO */
#define MW_SMFIP_NOMAIL 0x000004u      /* no MAIL */
#define MW_SMFIP_NORCPT 0x000008u      /* no RCPT */
#define MW_SMFIP_NOBODY 0x000010u      /* no BODY chunks */
#define MW_SMFIP_NOHDRS 0x000020u      /* no HEADER */
#define MW_SMFIP_NOEOH 0x000040u       /* no EOH */
#define MW_SMFIP_NR_HDR 0x000080u      /* no reply to HEADER */
#define MW_SMFIP_NOUNKNOWN 0x000100u   /* no UNKNOWN */
#define MW_SMFIP_NODATA 0x000200u      /* no DATA */
#define MW_SMFIP_SKIP 0x000400u	       /* the MTA understands SMFIR_SKIP */
#define MW_SMFIP_RCPT_REJ 0x000800u    /* send rejected RCPTs too */
#define MW_SMFIP_NR_CONN 0x001000u     /* no reply to CONNECT */
#define MW_SMFIP_NR_HELO 0x002000u     /* no reply to HELO */
#define MW_SMFIP_NR_MAIL 0x004000u     /* no reply to MAIL */
#define MW_SMFIP_NR_RCPT 0x008000u     /* no reply to RCPT */
#define MW_SMFIP_NR_DATA 0x010000u     /* no reply to DATA */
#define MW_SMFIP_NR_UNKN 0x020000u     /* no reply to UNKNOWN */
#define MW_SMFIP_NR_EOH 0x040000u      /* no reply to EOH */
#define MW_SMFIP_NR_BODY 0x080000u     /* no reply to BODY chunks */
#define MW_SMFIP_HDR_LEADSPC 0x100000u /* header values keep their space */
#define MW_SMFIP_ALL 0x1fffffu	       /* every step bit of version 6 */

/* Address families in CONNECT. */
#define MW_SMFIA_UNKNOWN 'U' /* no port or address follows */
#define MW_SMFIA_UNIX 'L'
#define MW_SMFIA_INET '4'
#define MW_SMFIA_INET6 '6'

/* Stages of the macro lists a filter may set with SMFIF_SETSYMLIST. */
enum mw_smfim {
	MW_SMFIM_CONNECT = 0,
	MW_SMFIM_HELO = 1,
	MW_SMFIM_ENVFROM = 2,
	MW_SMFIM_ENVRCPT = 3,
	MW_SMFIM_DATA = 4,
	MW_SMFIM_EOM = 5,
	MW_SMFIM_EOH = 6,
	MW_SMFIM_COUNT = 7,
};

/* What mailwarden asks for (the session may ask for less):
 * actions: change the sender (BATV tags), add and delete recipients
 * (removing a tag, keeping one recipient of a null-sender message), add
 * and change headers (X-Mailwarden-Backscatter:, tagging the subject),
 * quarantine.
 * steps: no HELO, DATA, UNKNOWN or EOH (nothing is decided there); no
 * reply to CONNECT (nothing is refused before MAIL), to each header and
 * to each body chunk (the decision waits for end of message, so Postfix
 * streams the content without a round trip per field or chunk). MAIL and
 * RCPT keep their replies: that is where senders and recipients are
 * refused. */
#define MW_MILTER_OUR_ACTIONS                                                  \
	(MW_SMFIF_ADDHDRS | MW_SMFIF_CHGHDRS | MW_SMFIF_ADDRCPT |              \
	 MW_SMFIF_DELRCPT | MW_SMFIF_QUARANTINE | MW_SMFIF_CHGFROM)
#define MW_MILTER_OUR_STEPS                                                    \
	(MW_SMFIP_NOHELO | MW_SMFIP_NODATA | MW_SMFIP_NOUNKNOWN |              \
	 MW_SMFIP_NOEOH | MW_SMFIP_NR_CONN | MW_SMFIP_NR_HDR |                 \
	 MW_SMFIP_NR_BODY)

/* One side's OPTNEG words. */
typedef struct mw_milter_opts {
	uint32_t version;  /* protocol version */
	uint32_t actions;  /* MW_SMFIF_* */
	uint32_t protocol; /* MW_SMFIP_* */
} mw_milter_opts;

/*
 * Agree on options. offered: the MTA's OPTNEG; wanted: ours (version,
 * actions, steps; version 0 means MW_MILTER_VERSION). agreed (written on
 * MW_OK and MW_ETRUNCATED):
 *   version  the lower of the two, never above MW_MILTER_VERSION;
 *   actions  wanted & offered;
 *   protocol wanted & offered, limited to the bits of MW_SMFIP_ALL. A
 *            step the MTA cannot leave out will come anyway, and a step
 *            the MTA cannot go without a reply for must be answered: ask
 *            mw_milter_expects_reply(), not `wanted`.
 * Returns MW_OK when all that was wanted was agreed, MW_ETRUNCATED when
 * something was not (compare agreed with wanted to see what), MW_EINVAL
 * when the MTA's version is below MW_MILTER_VERSION_MIN (no agreement:
 * close the connection).
 */
mw_status mw_milter_negotiate(const mw_milter_opts *offered,
			      const mw_milter_opts *wanted,
			      mw_milter_opts *agreed);

/* Does the MTA wait for a reply to command `cmd` under these options?
 * False for MACRO, ABORT, QUIT, QUIT_NC, for a step agreed as no-reply,
 * and for a command byte the protocol does not define. */
bool mw_milter_expects_reply(const mw_milter_opts *agreed, unsigned char cmd);

/* May reply `reply` (MW_SMFIR_*) answer command `cmd` (MW_SMFIC_*)?
 * Only where a reply is expected; modifications (header, recipient and
 * sender changes, quarantine) only at end of message and only with their
 * action agreed; DISCARD not at CONNECT or HELO; SKIP only to a body
 * chunk and only with MW_SMFIP_SKIP agreed; OPTNEG only to OPTNEG.
 * Replies we never send (SHUTDOWN, CONN_FAIL, REPLBODY) are refused. */
bool mw_milter_reply_allowed(const mw_milter_opts *agreed, unsigned char cmd,
			     unsigned char reply);

/* The action flag (MW_SMFIF_*) a modification reply needs, or 0 for a
 * reply that is not a modification. */
uint32_t mw_milter_reply_action(unsigned char reply);

/* "CONNECT", "MACRO", ... for logs; NULL for a byte that is no command. */
const char *mw_milter_command_name(unsigned char cmd);

#endif
