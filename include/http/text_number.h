/* text_number.h: numbers as text without stdio, for the per-request path.
 *
 * Why: in a new connection process the first printf-family call costs tens of
 * microseconds (stdio and locale state touched for the first time, each page a
 * copy-on-write fault), about as much as the rest of a small request's
 * formatting; a connection process formats a few numbers and nothing else
 * (docs/performance.md, "Decisions and the measurements behind them").
 * Contract: each function writes digits only (no NUL) and returns how many.
 *   number_decimal: value in decimal, no leading zeros; out holds 20 bytes.
 *   number_hex: value in lowercase hexadecimal, no leading zeros; out holds 16.
 *   number_padded: the low `width` decimal digits of value, zero-padded; width <= 20.
 * Must not: allocate, depend on the locale, or write more than it returns. */
#ifndef PRONG_TEXT_NUMBER_H
#define PRONG_TEXT_NUMBER_H

#include <stddef.h>
#include <stdint.h>

#define NUMBER_DECIMAL_MAX 20 /* 18446744073709551615 */
#define NUMBER_HEX_MAX 16

size_t number_decimal(uint64_t value, char *out);
size_t number_hex(uint64_t value, char *out);
size_t number_padded(uint64_t value, size_t width, char *out);

#endif
