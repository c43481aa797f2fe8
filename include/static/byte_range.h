/* byte_range.h: the Range request field for the bytes unit (RFC 9110 §14.1, §14.2).
 *
 * Contract: byte_range_parse() reads one Range field value against the length
 * of the selected representation and says what to send:
 *   BYTE_RANGE_IGNORE         no usable Range (another unit, invalid syntax, an
 *                             empty representation): the whole representation, 200;
 *   BYTE_RANGE_WHOLE          valid, but more than BYTE_RANGE_MAX ranges or
 *                             overlapping ranges: the whole representation, 200
 *                             (so no request can make the response larger than
 *                             the file plus bounded part headers);
 *   BYTE_RANGE_UNSATISFIABLE  no range overlaps the representation: 416;
 *   BYTE_RANGE_PARTIAL        1..BYTE_RANGE_MAX satisfiable ranges, clamped to
 *                             the representation, in the order received: 206.
 * Numbers are 64-bit and saturate instead of wrapping, so a huge last-pos is
 * clamped and a huge first-pos is unsatisfiable.
 * Must not: read past the value, allocate, or return a range outside [0, length). */
#ifndef PRONG_BYTE_RANGE_H
#define PRONG_BYTE_RANGE_H

#include <stddef.h>
#include <stdint.h>

#include "fixed_limits.h"

/* Ranges in one multipart/byteranges response: the response plan holds two
 * segments per part (part head, file range) and the closing delimiter. */

struct byte_range {
    uint64_t first; /* inclusive */
    uint64_t last;  /* inclusive, < the representation's length */
};

enum byte_range_outcome {
    BYTE_RANGE_IGNORE,
    BYTE_RANGE_WHOLE,
    BYTE_RANGE_UNSATISFIABLE,
    BYTE_RANGE_PARTIAL,
};

enum byte_range_outcome byte_range_parse(const char *value, size_t length,
                                         uint64_t representation_length,
                                         struct byte_range ranges[BYTE_RANGE_MAX], size_t *count);

#endif
