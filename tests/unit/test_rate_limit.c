/* test_rate_limit.c: unit tests of src/process/rate_limit.c (include/process/rate_limit.h).
 *
 * What it does: checks the token bucket against the arithmetic of its contract,
 * with time passed in: a burst of exactly `rate` connections is allowed and the
 * next refused; refills at rate per second (half a second gives back half a
 * burst, a whole second a full one, never more); clients are independent; rate
 * 0 never refuses; a long run at exactly the rate is never refused while one
 * just above it is; a table filled by many clients at once does not let a
 * newcomer past the rate (it falls back to a shared bucket: the documented
 * fail-closed), the overflow bucket allows its rate and no more, and a client
 * that stopped connecting is forgotten once its bucket is full again.
 * Contract: only include/process/rate_limit.h is used. Must not: depend on wall time. */
#include <string.h>

#include "process/rate_limit.h"
#include "unit.h"
#include "unit_suites.h"

#define SECOND 1000000000ull

static struct client_key client(uint32_t number)
{
    struct client_key key;
    memset(&key, 0, sizeof key);
    key.bytes[10] = 0xff;
    key.bytes[11] = 0xff;
    memcpy(key.bytes + 12, &number, sizeof number);
    return key;
}

static unsigned take_many(struct rate_limit *limit, const struct client_key *key, unsigned count,
                          uint64_t now)
{
    unsigned allowed = 0;
    for (unsigned i = 0; i < count; i++)
        allowed += rate_limit_take(limit, key, now, NULL);
    return allowed;
}

static struct rate_limit limit; /* large: static, not on the stack */

static void test_burst_and_refill(void)
{
    rate_limit_init(&limit, 10, &(struct hash_key){1, 1});
    struct client_key a = client(1), b = client(2);
    uint64_t start = 5 * SECOND;
    CHECK_UINT(take_many(&limit, &a, 10, start), 10, "a burst of exactly the rate is allowed");
    CHECK(!rate_limit_take(&limit, &a, start, NULL),
          "the next connection in the same instant is refused");
    CHECK_UINT(take_many(&limit, &b, 10, start), 10, "another client has its own bucket");
    CHECK_UINT(take_many(&limit, &a, 20, start + SECOND / 2), 5,
               "half a second refills half the burst");
    CHECK_UINT(take_many(&limit, &a, 20, start + 10 * SECOND), 10,
               "a long pause refills the burst, no more");
    CHECK_UINT(take_many(&limit, &a, 1, start + 10 * SECOND + SECOND / 10), 1,
               "a tenth of a second: one token");
}

static void test_steady_rates(void)
{
    rate_limit_init(&limit, 50, &(struct hash_key){2, 2});
    struct client_key steady = client(3), fast = client(4);
    uint64_t now = SECOND, refused_steady = 0, refused_fast = 0;
    for (unsigned i = 0; i < 5000; i++) {
        refused_steady +=
            !rate_limit_take(&limit, &steady, now + (uint64_t)i * (SECOND / 50), NULL);
        refused_fast += !rate_limit_take(&limit, &fast, now + (uint64_t)i * (SECOND / 60), NULL);
    }
    CHECK_UINT(refused_steady, 0, "exactly the rate is never refused");
    CHECK(refused_fast > 700 && refused_fast < 900,
          "20%% above the rate loses about a sixth (%llu of 5000)",
          (unsigned long long)refused_fast);
}

static void test_no_limit(void)
{
    rate_limit_init(&limit, 0, &(struct hash_key){3, 3});
    struct client_key key = client(5);
    CHECK_UINT(take_many(&limit, &key, 100000, SECOND), 100000, "rate 0 never refuses");
}

/* In /24 number (192.0.number.x style keys differing in the last byte). */
static struct client_key client_in(uint32_t subnet, uint8_t host)
{
    struct client_key key = client(subnet);
    key.bytes[15] = host;
    return key;
}

static void test_full_table_fails_closed(void)
{
    rate_limit_init(&limit, 1, &(struct hash_key){4, 4});
    uint64_t now = SECOND;
    /* Many clients at once, each spending its only token: every probe window fills. */
    unsigned own = 0;
    for (uint32_t number = 100; number < 100 + 4 * RATE_LIMIT_SLOTS; number++) {
        struct client_key key = client_in(number << 8, 1);
        enum rate_source source = RATE_OWN;
        rate_limit_take(&limit, &key, now, &source);
        own += source == RATE_OWN;
    }
    CHECK(own <= RATE_LIMIT_SLOTS,
          "no more clients hold a bucket of their own than there are "
          "slots (%u)",
          own);
    /* A newcomer that finds no bucket of its own is held to a shared one: one
     * client connecting 1,000 times in the same instant gets at most its rate
     * (1) from each of the two shared levels, never 1,000. */
    struct client_key flooder = client_in(0xabcdef00u, 7);
    unsigned allowed = take_many(&limit, &flooder, 1000, now);
    CHECK(allowed <= 2, "a client with no bucket of its own is not let past the rate (%u of 1000)",
          allowed);
    /* A client that stopped connecting is forgotten once its bucket is full again. */
    struct client_key first = client_in(100 << 8, 1);
    CHECK(rate_limit_take(&limit, &first, now + 2 * SECOND, NULL),
          "a client whose bucket refilled connects again");
    CHECK(!rate_limit_take(&limit, &first, now + 2 * SECOND, NULL),
          "and is counted again from there");
}

/* The overflow bucket is shared: once it is spent, every client without a
 * bucket (own or prefix) waits, and it refills at the rate. */
static void test_overflow_bucket_refills(void)
{
    rate_limit_init(&limit, 2, &(struct hash_key){5, 5});
    uint64_t now = SECOND;
    for (uint32_t number = 1; number < 8 * (RATE_LIMIT_SLOTS + RATE_LIMIT_PREFIX_SLOTS); number++) {
        struct client_key key = client_in(number << 8, 1);
        rate_limit_take(&limit, &key, now, NULL);
    }
    unsigned overflow_allowed = 0, overflow_seen = 0;
    for (uint32_t number = 1; number < 64; number++) {
        struct client_key key = client_in(0x7f000000u + (number << 8), 9);
        enum rate_source source = RATE_OWN;
        bool allowed = rate_limit_take(&limit, &key, now, &source);
        if (source == RATE_OVERFLOW) {
            overflow_seen++;
            overflow_allowed += allowed;
        }
    }
    CHECK(overflow_seen > 0, "with both tables full, newcomers fall to the overflow bucket");
    CHECK(overflow_allowed <= 2, "the overflow bucket allows its rate and no more (%u)",
          overflow_allowed);
}

void test_rate_limit(void)
{
    test_burst_and_refill();
    test_steady_rates();
    test_no_limit();
    test_full_table_fails_closed();
    test_overflow_bucket_refills();
}
