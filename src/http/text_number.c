/* text_number.c: decimal and hexadecimal digits without stdio (text_number.h).
 * Must not: write past the count it returns. */
#include "http/text_number.h"

/* value's digits in base (10 or 16), most significant first. */
static size_t digits_in_base(uint64_t value, unsigned base, char *out)
{
    static const char DIGITS[] = "0123456789abcdef";
    char reversed[NUMBER_DECIMAL_MAX]; /* the longest: base 10 */
    size_t count = 0;
    do {
        reversed[count++] = DIGITS[value % base];
        value /= base;
    } while (value != 0);
    for (size_t i = 0; i < count; i++)
        out[i] = reversed[count - 1 - i];
    return count;
}

size_t number_decimal(uint64_t value, char *out)
{
    return digits_in_base(value, 10, out);
}

size_t number_hex(uint64_t value, char *out)
{
    return digits_in_base(value, 16, out);
}

size_t number_padded(uint64_t value, size_t width, char *out)
{
    for (size_t i = width; i > 0; i--) {
        out[i - 1] = (char)('0' + value % 10);
        value /= 10;
    }
    return width;
}
