/* text_number.c: decimal and hexadecimal digits without stdio (text_number.h).
 * Must not: write past the count it returns. */
#include "text_number.h"

size_t number_decimal(uint64_t value, char *out)
{
    char reversed[NUMBER_DECIMAL_MAX];
    size_t count = 0;
    do {
        reversed[count++] = (char)('0' + value % 10);
        value /= 10;
    } while (value != 0);
    for (size_t i = 0; i < count; i++)
        out[i] = reversed[count - 1 - i];
    return count;
}

size_t number_hex(uint64_t value, char *out)
{
    static const char DIGITS[] = "0123456789abcdef";
    char reversed[NUMBER_HEX_MAX];
    size_t count = 0;
    do {
        reversed[count++] = DIGITS[value & 15];
        value >>= 4;
    } while (value != 0);
    for (size_t i = 0; i < count; i++)
        out[i] = reversed[count - 1 - i];
    return count;
}

size_t number_padded(uint64_t value, size_t width, char *out)
{
    for (size_t i = width; i > 0; i--) {
        out[i - 1] = (char)('0' + value % 10);
        value /= 10;
    }
    return width;
}
