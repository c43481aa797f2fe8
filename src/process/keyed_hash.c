/* keyed_hash.c: SipHash-2-4 (contract in include/process/keyed_hash.h).
 *
 * Written from the paper's description: the state v0..v3 starts as the key
 * XORed with the ASCII constants "somepseudorandomlygeneratedbytes"; each
 * little-endian 8-byte word m is absorbed as v3 ^= m, two SipRounds, v0 ^= m;
 * the last word holds the remaining bytes and, in its top byte, the length
 * modulo 256; then v2 ^= 0xff, four SipRounds, and the result is v0^v1^v2^v3.
 * tests/unit/test_keyed_hash.c checks it against the paper's test vector.
 * Must not: read past length. */
#include "process/keyed_hash.h"

#include <string.h>

static uint64_t rotate(uint64_t value, int bits)
{
    return (value << bits) | (value >> (64 - bits));
}

struct sip_state {
    uint64_t v0, v1, v2, v3;
};

static void sip_round(struct sip_state *s)
{
    s->v0 += s->v1;
    s->v1 = rotate(s->v1, 13);
    s->v1 ^= s->v0;
    s->v0 = rotate(s->v0, 32);
    s->v2 += s->v3;
    s->v3 = rotate(s->v3, 16);
    s->v3 ^= s->v2;
    s->v0 += s->v3;
    s->v3 = rotate(s->v3, 21);
    s->v3 ^= s->v0;
    s->v2 += s->v1;
    s->v1 = rotate(s->v1, 17);
    s->v1 ^= s->v2;
    s->v2 = rotate(s->v2, 32);
}

static void absorb(struct sip_state *s, uint64_t word)
{
    s->v3 ^= word;
    sip_round(s);
    sip_round(s);
    s->v0 ^= word;
}

static uint64_t little_endian_word(const unsigned char *bytes, size_t count)
{
    uint64_t word = 0;
    for (size_t i = 0; i < count; i++)
        word |= (uint64_t)bytes[i] << (8 * i);
    return word;
}

uint64_t keyed_hash(const struct hash_key *key, const void *data, size_t length)
{
    struct sip_state s = {
        key->k0 ^ 0x736f6d6570736575ull,
        key->k1 ^ 0x646f72616e646f6dull,
        key->k0 ^ 0x6c7967656e657261ull,
        key->k1 ^ 0x7465646279746573ull,
    };
    const unsigned char *bytes = data;
    size_t whole = length - length % 8;
    for (size_t i = 0; i < whole; i += 8)
        absorb(&s, little_endian_word(bytes + i, 8));
    absorb(&s, little_endian_word(bytes + whole, length % 8) | (uint64_t)(length & 0xff) << 56);
    s.v2 ^= 0xff;
    for (int i = 0; i < 4; i++)
        sip_round(&s);
    return s.v0 ^ s.v1 ^ s.v2 ^ s.v3;
}
