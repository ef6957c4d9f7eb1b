/* SPDX-License-Identifier: MIT */
#include "test.h"
#include "util/cursor.h"
#include "util/hash.h"

TEST(reads_both_orders)
{
	static const uint8_t buf[] = {
		0x01, 0x02,             /* u16 */
		0x01, 0x02, 0x03, 0x04, /* u32 */
		0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, /* u64 */
	};
	struct sd_cursor le = sd_cursor_make(buf, sizeof buf, false);
	struct sd_cursor be = sd_cursor_make(buf, sizeof buf, true);
	uint16_t a;
	uint32_t b;
	uint64_t c;

	CHECK(!sd_cur_u16(&le, &a) && a == 0x0201);
	CHECK(!sd_cur_u32(&le, &b) && b == 0x04030201);
	CHECK(!sd_cur_u64(&le, &c) && c == 0x0807060504030201ull);
	CHECK(!sd_cur_u16(&be, &a) && a == 0x0102);
	CHECK(!sd_cur_u32(&be, &b) && b == 0x01020304);
	CHECK(!sd_cur_u64(&be, &c) && c == 0x0102030405060708ull);
	CHECK_U64(sd_cur_left(&le), 0);
}

TEST(refuses_past_end)
{
	static const uint8_t buf[7] = {0};
	struct sd_cursor c = sd_cursor_make(buf, sizeof buf, false);
	uint64_t v = 42;
	uint32_t w;
	const uint8_t *p;

	CHECK_U64(sd_cur_u64(&c, &v), (uint64_t)-SD_E_TRUNCATED);
	CHECK_U64(v, 42); /* untouched on failure */
	CHECK_U64(c.off, 0);
	CHECK(!sd_cur_u32(&c, &w));
	CHECK(sd_cur_u32(&c, &w) == -SD_E_TRUNCATED);
	CHECK(sd_cur_skip(&c, SIZE_MAX) == -SD_E_TRUNCATED);
	CHECK(sd_cur_bytes(&c, 4, &p) == -SD_E_TRUNCATED);
	CHECK(!sd_cur_bytes(&c, 3, &p));
	CHECK_U64(sd_cur_left(&c), 0);
}

TEST(perf_string)
{
	static const uint8_t buf[] = {
		8, 0, 0, 0,                     /* len, padding included */
		'h', 'o', 's', 't', 0, 0, 0, 0, /* "host" NUL-padded */
		200, 0, 0, 0,                   /* len past the end */
		'x',
	};
	struct sd_cursor c = sd_cursor_make(buf, sizeof buf, false);
	char *s = NULL;

	CHECK(!sd_cur_perf_string(&c, 64, &s));
	CHECK_STR(s, "host");
	free(s);
	s = NULL;
	CHECK(sd_cur_perf_string(&c, 64, &s) == -SD_E_TRUNCATED);
	CHECK(s == NULL);
}

TEST(strpool_interns)
{
	struct sd_strpool p;
	char name[32];
	uint32_t ids[1000];

	sd_strpool_init(&p);
	for (int i = 0; i < 1000; i++) {
		snprintf(name, sizeof name, "sym%d", i);
		ids[i] = sd_strpool_intern(&p, name, strlen(name));
		CHECK(ids[i] != 0);
	}
	for (int i = 0; i < 1000; i++) {
		snprintf(name, sizeof name, "sym%d", i);
		CHECK_U64(sd_strpool_intern(&p, name, strlen(name)), ids[i]);
		CHECK_STR(sd_strpool_get(&p, ids[i]), name);
	}
	CHECK_U64(p.n, 1000);
	sd_strpool_fini(&p);
}

int main(void)
{
	RUN(reads_both_orders);
	RUN(refuses_past_end);
	RUN(perf_string);
	RUN(strpool_interns);
	return test_exit();
}
