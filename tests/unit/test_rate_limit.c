/* test_rate_limit.c: unit tests of src/process/rate_limit.c (include/process/rate_limit.h).
 *
 * What it does: checks the token bucket against the arithmetic of its contract,
 * with time passed in: a burst of exactly `rate` connections is allowed and the
 * next refused; refills at rate per second (half a second gives back half a
 * burst, a whole second a full one, never more); clients are independent; rate
 * 0 never refuses; a long run at exactly the rate is never refused while one
 * just above it is; and a table filled by many clients at once lets new ones
 * through (the documented fail-open) while a client that stopped connecting is
 * forgotten once its bucket is full again.
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
        allowed += rate_limit_take(limit, key, now);
    return allowed;
}

static struct rate_limit limit; /* large: static, not on the stack */

static void test_burst_and_refill(void)
{
    rate_limit_init(&limit, 10, 1);
    struct client_key a = client(1), b = client(2);
    uint64_t start = 5 * SECOND;
    CHECK_UINT(take_many(&limit, &a, 10, start), 10, "a burst of exactly the rate is allowed");
    CHECK(!rate_limit_take(&limit, &a, start),
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
    rate_limit_init(&limit, 50, 2);
    struct client_key steady = client(3), fast = client(4);
    uint64_t now = SECOND, refused_steady = 0, refused_fast = 0;
    for (unsigned i = 0; i < 5000; i++) {
        refused_steady += !rate_limit_take(&limit, &steady, now + (uint64_t)i * (SECOND / 50));
        refused_fast += !rate_limit_take(&limit, &fast, now + (uint64_t)i * (SECOND / 60));
    }
    CHECK_UINT(refused_steady, 0, "exactly the rate is never refused");
    CHECK(refused_fast > 700 && refused_fast < 900,
          "20%% above the rate loses about a sixth (%llu of 5000)",
          (unsigned long long)refused_fast);
}

static void test_no_limit(void)
{
    rate_limit_init(&limit, 0, 3);
    struct client_key key = client(5);
    CHECK_UINT(take_many(&limit, &key, 100000, SECOND), 100000, "rate 0 never refuses");
}

static void test_full_table_fails_open(void)
{
    rate_limit_init(&limit, 1, 4);
    uint64_t now = SECOND;
    unsigned refused_newcomers = 0;
    /* Many clients at once, each spending its only token: the table fills. */
    for (uint32_t number = 100; number < 100 + 4 * RATE_LIMIT_SLOTS; number++) {
        struct client_key key = client(number);
        refused_newcomers += !rate_limit_take(&limit, &key, now);
    }
    CHECK_UINT(refused_newcomers, 0,
               "a client's first connection is never refused, even with the table full");
    /* A client that stopped connecting is forgotten once its bucket is full again. */
    struct client_key first = client(100);
    CHECK(rate_limit_take(&limit, &first, now + 2 * SECOND),
          "a client whose bucket refilled connects again");
    CHECK(!rate_limit_take(&limit, &first, now + 2 * SECOND), "and is counted again from there");
}

void test_rate_limit(void)
{
    test_burst_and_refill();
    test_steady_rates();
    test_no_limit();
    test_full_table_fails_open();
}
