/*
 * address_int.h - private to the address module (address.c, address_find.c):
 * the character class and the splitting rule both halves share.
 */
#ifndef MW_MAIL_ADDRESS_INT_H
#define MW_MAIL_ADDRESS_INT_H

#include <stdbool.h>
#include <stddef.h>

/* RFC 5322 atext, plus 8-bit bytes (UTF-8 local parts, RFC 6532). */
bool mw_address_atext(unsigned char c);
/* Offset of the '@' that splits local part and domain (the last one
 * outside quotes), or n. */
size_t mw_address_split_at(const char *p, size_t n);

#endif
