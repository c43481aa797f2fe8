/* http_date.c: HTTP dates, both ways, with civil-calendar arithmetic of our own.
 *
 * Dates are UTC by definition (RFC 9110 §5.6.7), so no time zone file is needed,
 * which matters inside the jail where /etc/localtime cannot be read. The day
 * arithmetic is Howard Hinnant's days-from-civil algorithm, valid for any
 * proleptic Gregorian date. Must not: depend on the locale or on TZ. */
#include "http/http_date.h"

#include <string.h>

#include "http/text_number.h"

static const char WEEKDAYS[7][4] = {"Thu", "Fri", "Sat", "Sun",
                                    "Mon", "Tue", "Wed"}; /* 1970-01-01 was a Thursday */
static const char WEEKDAY_NAMES[7][10] = {"Thursday", "Friday",  "Saturday", "Sunday",
                                          "Monday",   "Tuesday", "Wednesday"};
static const char MONTHS[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

static int64_t floor_divide(int64_t value, int64_t divisor)
{
    int64_t quotient = value / divisor;
    return (value % divisor != 0 && (value < 0) != (divisor < 0)) ? quotient - 1 : quotient;
}

static int64_t days_from_civil(int64_t year, int month, int day)
{
    year -= month <= 2;
    int64_t era = floor_divide(year, 400);
    int64_t year_of_era = year - era * 400;
    int64_t day_of_year = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
    int64_t day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    return era * 146097 + day_of_era - 719468;
}

static void civil_from_days(int64_t days, int64_t *year, int *month, int *day)
{
    days += 719468;
    int64_t era = floor_divide(days, 146097);
    int64_t day_of_era = days - era * 146097;
    int64_t year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36524 - day_of_era / 146096) / 365;
    int64_t day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    int64_t month_index = (5 * day_of_year + 2) / 153;
    *day = (int)(day_of_year - (153 * month_index + 2) / 5 + 1);
    *month = (int)(month_index < 10 ? month_index + 3 : month_index - 9);
    *year = year_of_era + era * 400 + (*month <= 2);
}

struct civil_time {
    int64_t year;
    int month, day, hour, minute, second, weekday;
};

static struct civil_time split_seconds(int64_t seconds)
{
    struct civil_time time;
    int64_t days = floor_divide(seconds, 86400);
    int64_t rest = seconds % 86400; /* not seconds - days * 86400: that overflows near INT64_MIN */
    if (rest < 0)
        rest += 86400;
    civil_from_days(days, &time.year, &time.month, &time.day);
    time.hour = (int)(rest / 3600);
    time.minute = (int)(rest / 60 % 60);
    time.second = (int)(rest % 60);
    time.weekday = (int)(days - floor_divide(days, 7) * 7);
    return time;
}

/* Formatting writes fixed-width fields by hand, not with snprintf (text_number.h says why). */
static char *put_text(char *at, const char *text, size_t length)
{
    memcpy(at, text, length);
    return at + length;
}

static char *put_padded(char *at, int64_t value, size_t width)
{
    return at + number_padded((uint64_t)value, width, at);
}

/* The civil time of seconds, or of the epoch when its year has no four digits. */
static struct civil_time four_digit_year(int64_t seconds)
{
    struct civil_time time = split_seconds(seconds);
    return time.year < 0 || time.year > 9999 ? split_seconds(0) : time;
}

/* "HH:MM:SS" */
static char *put_clock(char *at, const struct civil_time *time)
{
    at = put_padded(at, time->hour, 2);
    *at++ = ':';
    at = put_padded(at, time->minute, 2);
    *at++ = ':';
    return put_padded(at, time->second, 2);
}

void http_date_format(int64_t seconds, char out[HTTP_DATE_SIZE])
{
    struct civil_time time = four_digit_year(seconds); /* "Sun, 06 Nov 1994 08:49:37 GMT" */
    char *at = put_text(out, WEEKDAYS[time.weekday], 3);
    at = put_text(at, ", ", 2);
    at = put_padded(at, time.day, 2);
    *at++ = ' ';
    at = put_text(at, MONTHS[time.month - 1], 3);
    *at++ = ' ';
    at = put_padded(at, time.year, 4);
    *at++ = ' ';
    at = put_clock(at, &time);
    at = put_text(at, " GMT", 4);
    *at = '\0';
}

void http_date_format_log(int64_t seconds, char out[32])
{
    struct civil_time time = four_digit_year(seconds); /* "06/Nov/1994:08:49:37 +0000" */
    char *at = put_padded(out, time.day, 2);
    *at++ = '/';
    at = put_text(at, MONTHS[time.month - 1], 3);
    *at++ = '/';
    at = put_padded(at, time.year, 4);
    *at++ = ':';
    at = put_clock(at, &time);
    at = put_text(at, " +0000", 6);
    *at = '\0';
}

void http_date_format_iso(int64_t seconds, char out[32])
{
    struct civil_time time = four_digit_year(seconds); /* "1994-11-06T08:49:37Z" */
    char *at = put_padded(out, time.year, 4);
    *at++ = '-';
    at = put_padded(at, time.month, 2);
    *at++ = '-';
    at = put_padded(at, time.day, 2);
    *at++ = 'T';
    at = put_clock(at, &time);
    *at++ = 'Z';
    *at = '\0';
}

/* ---------------------------------------------------------------- parsing */

struct cursor {
    const char *at, *end;
};

static int take_literal(struct cursor *cursor, const char *literal)
{
    size_t length = strlen(literal);
    if ((size_t)(cursor->end - cursor->at) < length || memcmp(cursor->at, literal, length) != 0)
        return 0;
    cursor->at += length;
    return 1;
}

/* Exactly `digits` decimal digits. */
static int take_number(struct cursor *cursor, int digits, int *value)
{
    int count = 0, result = 0;
    while (count < digits && cursor->at < cursor->end && *cursor->at >= '0' && *cursor->at <= '9') {
        result = result * 10 + (*cursor->at - '0');
        cursor->at++;
        count++;
    }
    if (count != digits)
        return 0;
    *value = result;
    return 1;
}

static int take_month(struct cursor *cursor, int *month)
{
    for (int i = 0; i < 12; i++)
        if (take_literal(cursor, MONTHS[i])) {
            *month = i + 1;
            return 1;
        }
    return 0;
}

static int take_time_of_day(struct cursor *cursor, int *hour, int *minute, int *second)
{
    return take_number(cursor, 2, hour) && take_literal(cursor, ":") &&
           take_number(cursor, 2, minute) && take_literal(cursor, ":") &&
           take_number(cursor, 2, second);
}

static int take_weekday(struct cursor *cursor, int long_form, int *weekday)
{
    for (int i = 0; i < 7; i++)
        if (take_literal(cursor, long_form ? WEEKDAY_NAMES[i] : WEEKDAYS[i])) {
            *weekday = i;
            return 1;
        }
    return 0;
}

static int64_t checked_seconds(int64_t year, int month, int day, int hour, int minute, int second,
                               int weekday)
{
    static const int DAYS_IN_MONTH[12] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (month < 1 || month > 12 || day < 1 || day > DAYS_IN_MONTH[month - 1] || hour > 23 ||
        minute > 59 || second > 60)
        return -1;
    int64_t days = days_from_civil(year, month, day);
    int64_t check_year;
    int check_month, check_day;
    civil_from_days(days, &check_year, &check_month, &check_day);
    if (check_month != month || check_day != day) /* 29 February in a common year */
        return -1;
    if (days - floor_divide(days, 7) * 7 != weekday)
        return -1;
    if (second == 60)
        second = 59; /* a leap second compares as the second before it */
    return days * 86400 + (int64_t)hour * 3600 + (int64_t)minute * 60 + second;
}

int64_t http_date_parse(const char *text, size_t length)
{
    struct cursor cursor = {text, text + length};
    int weekday = 0, day = 0, month = 0, year = 0, hour = 0, minute = 0, second = 0;
    /* IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT" */
    if (take_weekday(&cursor, 0, &weekday) && take_literal(&cursor, ", ") &&
        take_number(&cursor, 2, &day) && take_literal(&cursor, " ") &&
        take_month(&cursor, &month) && take_literal(&cursor, " ") &&
        take_number(&cursor, 4, &year) && take_literal(&cursor, " ") &&
        take_time_of_day(&cursor, &hour, &minute, &second) && take_literal(&cursor, " GMT") &&
        cursor.at == cursor.end)
        return checked_seconds(year, month, day, hour, minute, second, weekday);
    /* RFC 850: "Sunday, 06-Nov-94 08:49:37 GMT"; a two-digit year that looks
     * more than 50 years ahead is in the past century (RFC 9110 §5.6.7). */
    cursor = (struct cursor){text, text + length};
    if (take_weekday(&cursor, 1, &weekday) && take_literal(&cursor, ", ") &&
        take_number(&cursor, 2, &day) && take_literal(&cursor, "-") &&
        take_month(&cursor, &month) && take_literal(&cursor, "-") &&
        take_number(&cursor, 2, &year) && take_literal(&cursor, " ") &&
        take_time_of_day(&cursor, &hour, &minute, &second) && take_literal(&cursor, " GMT") &&
        cursor.at == cursor.end) {
        int64_t now_year = 2000 + year;
        struct civil_time current = split_seconds((int64_t)time(NULL));
        if (now_year > current.year + 50)
            now_year -= 100;
        return checked_seconds(now_year, month, day, hour, minute, second, weekday);
    }
    /* asctime: "Sun Nov  6 08:49:37 1994" */
    cursor = (struct cursor){text, text + length};
    if (take_weekday(&cursor, 0, &weekday) && take_literal(&cursor, " ") &&
        take_month(&cursor, &month) && take_literal(&cursor, " ")) {
        int padded = cursor.at < cursor.end && *cursor.at == ' ';
        cursor.at += padded; /* a one-digit day is padded with a space */
        if (take_number(&cursor, padded ? 1 : 2, &day) && take_literal(&cursor, " ") &&
            take_time_of_day(&cursor, &hour, &minute, &second) && take_literal(&cursor, " ") &&
            take_number(&cursor, 4, &year) && cursor.at == cursor.end)
            return checked_seconds(year, month, day, hour, minute, second, weekday);
    }
    return -1;
}
