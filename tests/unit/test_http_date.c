/* test_http_date.c: unit tests of src/http/http_date.c (include/http/http_date.h).
 *
 * What it does: checks IMF-fixdate, log-time and ISO formatting of hand-verified
 * instants (epoch, RFC 9110's example, leap days, 2038, 2100, years 0 and
 * 9999) and the fallback past the supported years; cross-checks all three
 * formats against glibc's gmtime_r (and strftime in the C locale where the year
 * has four digits) for every day from 1900 to 2150, every year boundary from 0
 * to 9999 and random instants; parses each instant back from all three HTTP
 * date forms; checks RFC 850's 50-year rule against the current year; and
 * requires -1 for malformed dates (wrong weekday, impossible days, bad month,
 * trailing bytes, lowercase "gmt", missing fields, hour 24, every truncation).
 *
 * Contract: every text handed to http_date_parse() is a heap copy of exactly
 * the length passed, so a read past it is an AddressSanitizer report.
 * Must not: take an expected value from http_date.c itself. */
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "http/http_date.h"
#include "unit.h"
#include "unit_suites.h"

#define EPOCH_TEXT "Thu, 01 Jan 1970 00:00:00 GMT"
#define FIRST_SUPPORTED_SECOND (-62167219200LL) /* 0000-01-01T00:00:00Z */
#define LAST_SUPPORTED_SECOND 253402300799LL    /* 9999-12-31T23:59:59Z */
#define SECONDS_PER_DAY 86400LL
#define RANDOM_INSTANTS 100000u

static const char *const SHORT_WEEKDAYS[7] = {"Sun", "Mon", "Tue", "Wed",
                                              "Thu", "Fri", "Sat"}; /* tm_wday order */
static const char *const LONG_WEEKDAYS[7] = {"Sunday",   "Monday", "Tuesday", "Wednesday",
                                             "Thursday", "Friday", "Saturday"};
static const char *const MONTH_NAMES[12] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

static int current_year;

static int64_t parse_exact(const char *text, size_t length)
{
    char *copy = unit_exact_copy(text, length);
    int64_t seconds = http_date_parse(copy, length);
    free(copy);
    return seconds;
}

static int64_t parse_text(const char *text)
{
    return parse_exact(text, strlen(text));
}

/* ------------------------------------------------------------------ known instants */

static void check_format_known(int64_t seconds, const char *imf, const char *log_time,
                               const char *iso)
{
    char out[HTTP_DATE_SIZE + 8], wide[40];
    memset(out, '#', sizeof out);
    http_date_format(seconds, out);
    CHECK_STR(out, imf, "http_date_format(%lld)", (long long)seconds);
    CHECK(out[HTTP_DATE_SIZE] == '#', "http_date_format(%lld) wrote past HTTP_DATE_SIZE",
          (long long)seconds);
    memset(wide, '#', sizeof wide);
    http_date_format_log(seconds, wide);
    CHECK_STR(wide, log_time, "http_date_format_log(%lld)", (long long)seconds);
    CHECK(wide[32] == '#', "http_date_format_log(%lld) wrote past 32 bytes", (long long)seconds);
    memset(wide, '#', sizeof wide);
    http_date_format_iso(seconds, wide);
    CHECK_STR(wide, iso, "http_date_format_iso(%lld)", (long long)seconds);
}

static void test_known_instants(void)
{
    /* Values checked with GNU date(1) -u -d @SECONDS. */
    check_format_known(0, EPOCH_TEXT, "01/Jan/1970:00:00:00 +0000", "1970-01-01T00:00:00Z");
    check_format_known(784111777, "Sun, 06 Nov 1994 08:49:37 GMT", "06/Nov/1994:08:49:37 +0000",
                       "1994-11-06T08:49:37Z");
    check_format_known(951782400, "Tue, 29 Feb 2000 00:00:00 GMT", "29/Feb/2000:00:00:00 +0000",
                       "2000-02-29T00:00:00Z");
    check_format_known(1709164800, "Thu, 29 Feb 2024 00:00:00 GMT", "29/Feb/2024:00:00:00 +0000",
                       "2024-02-29T00:00:00Z");
    check_format_known(1709251199, "Thu, 29 Feb 2024 23:59:59 GMT", "29/Feb/2024:23:59:59 +0000",
                       "2024-02-29T23:59:59Z");
    check_format_known(2147483647, "Tue, 19 Jan 2038 03:14:07 GMT", "19/Jan/2038:03:14:07 +0000",
                       "2038-01-19T03:14:07Z");
    check_format_known(2147483648, "Tue, 19 Jan 2038 03:14:08 GMT", "19/Jan/2038:03:14:08 +0000",
                       "2038-01-19T03:14:08Z");
    check_format_known(4107542400, "Mon, 01 Mar 2100 00:00:00 GMT", "01/Mar/2100:00:00:00 +0000",
                       "2100-03-01T00:00:00Z"); /* 2100 is not a leap year */
    check_format_known(-1, "Wed, 31 Dec 1969 23:59:59 GMT", "31/Dec/1969:23:59:59 +0000",
                       "1969-12-31T23:59:59Z");
    check_format_known(FIRST_SUPPORTED_SECOND, "Sat, 01 Jan 0000 00:00:00 GMT",
                       "01/Jan/0000:00:00:00 +0000", "0000-01-01T00:00:00Z");
    check_format_known(LAST_SUPPORTED_SECOND, "Fri, 31 Dec 9999 23:59:59 GMT",
                       "31/Dec/9999:23:59:59 +0000", "9999-12-31T23:59:59Z");
    /* Outside years 0..9999 every format falls back to the epoch (never a
     * 5-digit or negative year, never past the buffer). */
    const int64_t out_of_range[] = {LAST_SUPPORTED_SECOND + 1,
                                    FIRST_SUPPORTED_SECOND - 1,
                                    INT64_MAX,
                                    INT64_MIN,
                                    INT64_MAX - SECONDS_PER_DAY,
                                    INT64_MIN + 1,
                                    (int64_t)1 << 62,
                                    -((int64_t)1 << 62)};
    for (size_t i = 0; i < sizeof out_of_range / sizeof out_of_range[0]; i++)
        check_format_known(out_of_range[i], EPOCH_TEXT, "01/Jan/1970:00:00:00 +0000",
                           "1970-01-01T00:00:00Z");
}

/* ------------------------------------------------------------------ cross-check against glibc */

/* Formats, round trips and parses of one instant, against gmtime_r's fields. */
static void check_instant(int64_t seconds)
{
    time_t as_time = (time_t)seconds;
    struct tm fields;
    if (!CHECK(gmtime_r(&as_time, &fields) != NULL, "gmtime_r(%lld) failed", (long long)seconds))
        return;
    int year = fields.tm_year + 1900;
    char expected_imf[64], expected_log[64], expected_iso[64], asctime_form[64], rfc850_form[64];
    snprintf(expected_imf, sizeof expected_imf, "%s, %02d %s %04d %02d:%02d:%02d GMT",
             SHORT_WEEKDAYS[fields.tm_wday], fields.tm_mday, MONTH_NAMES[fields.tm_mon], year,
             fields.tm_hour, fields.tm_min, fields.tm_sec);
    snprintf(expected_log, sizeof expected_log, "%02d/%s/%04d:%02d:%02d:%02d +0000", fields.tm_mday,
             MONTH_NAMES[fields.tm_mon], year, fields.tm_hour, fields.tm_min, fields.tm_sec);
    snprintf(expected_iso, sizeof expected_iso, "%04d-%02d-%02dT%02d:%02d:%02dZ", year,
             fields.tm_mon + 1, fields.tm_mday, fields.tm_hour, fields.tm_min, fields.tm_sec);
    if (year >= 1000) {
        /* glibc's own formatting in the C locale ("%Y" is not zero-padded below 1000). */
        strftime(expected_imf, sizeof expected_imf, "%a, %d %b %Y %H:%M:%S GMT", &fields);
        strftime(expected_log, sizeof expected_log, "%d/%b/%Y:%H:%M:%S +0000", &fields);
        strftime(expected_iso, sizeof expected_iso, "%Y-%m-%dT%H:%M:%SZ", &fields);
    }
    char got[HTTP_DATE_SIZE], got_wide[32];
    http_date_format(seconds, got);
    CHECK_STR(got, expected_imf, "http_date_format(%lld)", (long long)seconds);
    http_date_format_log(seconds, got_wide);
    CHECK_STR(got_wide, expected_log, "http_date_format_log(%lld)", (long long)seconds);
    http_date_format_iso(seconds, got_wide);
    CHECK_STR(got_wide, expected_iso, "http_date_format_iso(%lld)", (long long)seconds);

    CHECK_INT(parse_text(expected_imf), seconds, "http_date_parse(\"%s\")", expected_imf);
    snprintf(asctime_form, sizeof asctime_form, "%s %s %2d %02d:%02d:%02d %04d",
             SHORT_WEEKDAYS[fields.tm_wday], MONTH_NAMES[fields.tm_mon], fields.tm_mday,
             fields.tm_hour, fields.tm_min, fields.tm_sec, year);
    CHECK_INT(parse_text(asctime_form), seconds, "http_date_parse(\"%s\")", asctime_form);
    if (year > current_year - 50 && year <= current_year + 50) {
        snprintf(rfc850_form, sizeof rfc850_form, "%s, %02d-%s-%02d %02d:%02d:%02d GMT",
                 LONG_WEEKDAYS[fields.tm_wday], fields.tm_mday, MONTH_NAMES[fields.tm_mon],
                 year % 100, fields.tm_hour, fields.tm_min, fields.tm_sec);
        CHECK_INT(parse_text(rfc850_form), seconds, "http_date_parse(\"%s\")", rfc850_form);
    }
}

static int64_t start_of_year(int year)
{
    struct tm fields = {.tm_year = year - 1900, .tm_mon = 0, .tm_mday = 1};
    return (int64_t)timegm(&fields);
}

static void test_against_glibc(void)
{
    uint64_t random = unit_random_state(0xda7e);
    /* Every day from 1900 to 2150, at a random second of it. */
    for (int64_t day = start_of_year(1900); day < start_of_year(2151); day += SECONDS_PER_DAY)
        check_instant(day + (int64_t)unit_random_below(&random, SECONDS_PER_DAY));
    /* Every year boundary the formats support, and the seconds either side. */
    for (int year = 0; year <= 9999; year++) {
        int64_t start = start_of_year(year);
        if (year > 0)
            check_instant(start - 1);
        check_instant(start);
        check_instant(start + 1);
    }
    /* Random instants anywhere in years 0..9999. */
    uint64_t span = (uint64_t)(LAST_SUPPORTED_SECOND - FIRST_SUPPORTED_SECOND) + 1u;
    for (unsigned i = 0; i < RANDOM_INSTANTS; i++)
        check_instant(FIRST_SUPPORTED_SECOND + (int64_t)unit_random_below(&random, span));
}

/* ------------------------------------------------------------------ parsing */

static void test_parse_forms(void)
{
    /* RFC 9110 §5.6.7's three examples, all the same instant. */
    CHECK_INT(parse_text("Sun, 06 Nov 1994 08:49:37 GMT"), 784111777, "IMF-fixdate");
    CHECK_INT(parse_text("Sunday, 06-Nov-94 08:49:37 GMT"), 784111777, "RFC 850 date");
    CHECK_INT(parse_text("Sun Nov  6 08:49:37 1994"), 784111777, "asctime date, space-padded day");
    /* asctime with a two-digit day, and with a zero-padded one (date3's 2DIGIT). */
    CHECK_INT(parse_text("Wed Nov 16 08:49:37 1994"), 784111777 + 10 * SECONDS_PER_DAY,
              "asctime, two-digit day");
    CHECK_INT(parse_text("Sun Nov 06 08:49:37 1994"), 784111777, "asctime, day as 2DIGIT");
    /* Leap days. */
    CHECK_INT(parse_text("Tue, 29 Feb 2000 00:00:00 GMT"), 951782400,
              "29 Feb 2000 (divisible by 400)");
    CHECK_INT(parse_text("Thu, 29 Feb 2024 00:00:00 GMT"), 1709164800, "29 Feb 2024");
    CHECK_INT(parse_text("Thu Feb 29 00:00:00 2024"), 1709164800, "29 Feb 2024, asctime");
    /* A leap second is accepted (second = 00-60) and counts as the second before. */
    CHECK_INT(parse_text("Sun, 06 Nov 1994 08:49:60 GMT"), 784111777 + 22, "leap second 60");
    /* The year-2038 boundary and the far end of the range. */
    CHECK_INT(parse_text("Tue, 19 Jan 2038 03:14:08 GMT"), 2147483648,
              "after 2038-01-19T03:14:07Z");
    CHECK_INT(parse_text("Fri, 31 Dec 9999 23:59:59 GMT"), LAST_SUPPORTED_SECOND, "year 9999");
}

/* RFC 9110 §5.6.7: a two-digit year more than 50 years in the future is the
 * most recent past year with the same last two digits. */
static void test_rfc850_century(void)
{
    for (int two_digits = 0; two_digits < 100; two_digits++) {
        int year = (current_year + 50) - (((current_year + 50) % 100 - two_digits + 100) % 100);
        struct tm fields = {.tm_year = year - 1900, .tm_mon = 6, .tm_mday = 15, .tm_hour = 12};
        int64_t expected = (int64_t)timegm(&fields);
        char text[64];
        snprintf(text, sizeof text, "%s, 15-Jul-%02d 12:00:00 GMT", LONG_WEEKDAYS[fields.tm_wday],
                 two_digits);
        CHECK_INT(parse_text(text), expected, "\"%s\" (year %d, current year %d)", text, year,
                  current_year);
        /* The weekday of the other century's reading is not accepted. */
        struct tm other = {.tm_year = year - 100 - 1900, .tm_mon = 6, .tm_mday = 15, .tm_hour = 12};
        timegm(&other);
        snprintf(text, sizeof text, "%s, 15-Jul-%02d 12:00:00 GMT", LONG_WEEKDAYS[other.tm_wday],
                 two_digits);
        CHECK_INT(parse_text(text), -1, "\"%s\": the weekday of year %d, not %d", text, year - 100,
                  year);
    }
}

static void test_parse_rejections(void)
{
    static const char *const MALFORMED[] = {
        "",
        "Mon, 06 Nov 1994 08:49:37 GMT",  /* wrong weekday */
        "Monday, 06-Nov-94 08:49:37 GMT", /* wrong weekday, RFC 850 */
        "Mon Nov  6 08:49:37 1994",       /* wrong weekday, asctime */
        "Sun, 30 Feb 2020 00:00:00 GMT",  /* 30 February */
        "Sun, 31 Apr 2022 00:00:00 GMT",  /* 31 April */
        "Sun, 32 Jan 2022 00:00:00 GMT",
        "Sat, 00 Jan 2022 00:00:00 GMT",
        "Sun, 06 Nvv 1994 08:49:37 GMT", /* bad month */
        "Sun, 06 nov 1994 08:49:37 GMT", /* month names are case-sensitive */
        "Sun, 06 NOV 1994 08:49:37 GMT",
        "sun, 06 Nov 1994 08:49:37 GMT",
        "Sun, 06 Nov 1994 08:49:37 gmt", /* lowercase gmt */
        "Sun, 06 Nov 1994 08:49:37 UTC",
        "Sun, 06 Nov 1994 08:49:37 +0000",
        "Sun, 06 Nov 1994 08:49:37",      /* missing GMT */
        "Sun, 06 Nov 1994 08:49:37 GMT ", /* trailing bytes */
        "Sun, 06 Nov 1994 08:49:37 GMTX",
        "Sun, 06 Nov 1994 08:49:37 GMT\r\n",
        " Sun, 06 Nov 1994 08:49:37 GMT", /* leading space */
        "Sun, 06 Nov 1994 08:49 GMT",     /* missing seconds */
        "Sun, 06 Nov 1994 GMT",           /* missing time */
        "Sun, Nov 1994 08:49:37 GMT",     /* missing day */
        "06 Nov 1994 08:49:37 GMT",       /* missing weekday */
        "Sun, 06 Nov 08:49:37 GMT",       /* missing year */
        "Sun 06 Nov 1994 08:49:37 GMT",   /* missing comma */
        "Sun,06 Nov 1994 08:49:37 GMT",
        "Sun,  06 Nov 1994 08:49:37 GMT",
        "Sun, 6 Nov 1994 08:49:37 GMT", /* one-digit day */
        "Sun, 06 Nov 94 08:49:37 GMT",  /* two-digit year in IMF-fixdate */
        "Sun, 06 Nov 01994 08:49:37 GMT",
        "Sun, 06 Nov 1994 8:49:37 GMT",
        "Sun, 06 Nov 1994 08:49:7 GMT",
        "Sun, 06 Nov 1994 24:00:00 GMT", /* hour 24 */
        "Sun, 06 Nov 1994 08:60:00 GMT", /* minute 60 */
        "Sun, 06 Nov 1994 08:49:61 GMT", /* second 61 */
        "Sun, 06 Nov 1994 08-49-37 GMT",
        "Sun, 06 Nov 1994 +8:49:37 GMT",
        "Sun, 06-Nov-94 08:49:37 GMT", /* RFC 850 needs the full weekday */
        "Sunday, 06 Nov 1994 08:49:37 GMT",
        "Sunday, 06-Nov-1994 08:49:37 GMT", /* RFC 850 has a two-digit year */
        "Sunday, 06-Nov-94 08:49:37 gmt",
        "Sunday, 06-Nov-94 24:00:00 GMT",
        "Sunday, 06-Nov-94 08:49:37 GMT ",
        "Sun Nov 6 08:49:37 1994", /* asctime's day is padded */
        "Sun Nov   6 08:49:37 1994",
        "Sun Nov  16 08:49:37 1994",
        "Sun Nov  6 08:49:37 94",
        "Sun Nov  6 08:49:37 1994 ",
        "Sun Nov  6 08:49:37 1994 GMT",
        "Sun Nov  6 24:00:00 1994",
        "Thu Feb 29 00:00:00 2023",
        "Sunday",
        "Sun, ",
        "GMT",
    };
    for (size_t i = 0; i < sizeof MALFORMED / sizeof MALFORMED[0]; i++)
        CHECK_INT(parse_text(MALFORMED[i]), -1, "http_date_parse(\"%s\") must be rejected",
                  MALFORMED[i]);

    /* 29 February of a common year, under every weekday; and of 1900 (not a leap year). */
    for (int weekday = 0; weekday < 7; weekday++) {
        char text[64];
        snprintf(text, sizeof text, "%s, 29 Feb 2023 12:00:00 GMT", SHORT_WEEKDAYS[weekday]);
        CHECK_INT(parse_text(text), -1, "\"%s\": 2023 is not a leap year", text);
        snprintf(text, sizeof text, "%s, 29 Feb 1900 12:00:00 GMT", SHORT_WEEKDAYS[weekday]);
        CHECK_INT(parse_text(text), -1, "\"%s\": 1900 is not a leap year", text);
        snprintf(text, sizeof text, "%s Feb 29 12:00:00 2100", SHORT_WEEKDAYS[weekday]);
        CHECK_INT(parse_text(text), -1, "\"%s\": 2100 is not a leap year", text);
    }

    /* An embedded NUL: a valid date followed by it and more bytes, and one cut by it. */
    CHECK_INT(parse_exact(LITERAL("Sun, 06 Nov 1994 08:49:37 GMT\0")), -1, "a NUL after the date");
    CHECK_INT(parse_exact(LITERAL("Sun, 06 Nov 1994 08:49:37 G\0T")), -1, "a NUL inside \"GMT\"");

    /* Every proper prefix of a valid date of each form is rejected, and the
     * length is honoured: the bytes after it are never read (exact heap copies). */
    static const char *const VALID[] = {"Sun, 06 Nov 1994 08:49:37 GMT",
                                        "Sunday, 06-Nov-94 08:49:37 GMT",
                                        "Sun Nov  6 08:49:37 1994"};
    for (size_t i = 0; i < sizeof VALID / sizeof VALID[0]; i++) {
        size_t length = strlen(VALID[i]);
        CHECK_INT(parse_exact(VALID[i], length), 784111777, "\"%s\" in full", VALID[i]);
        for (size_t prefix = 0; prefix < length; prefix++)
            CHECK_INT(parse_exact(VALID[i], prefix), -1, "the first %zu bytes of \"%s\"", prefix,
                      VALID[i]);
    }
}

void test_http_date(void)
{
    setlocale(LC_ALL, "C"); /* the reference strftime must use English names */
    time_t now = time(NULL);
    struct tm today;
    gmtime_r(&now, &today);
    current_year = today.tm_year + 1900;

    test_known_instants();
    test_against_glibc();
    test_parse_forms();
    test_rfc850_century();
    test_parse_rejections();
}
