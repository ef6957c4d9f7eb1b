/* SPDX-License-Identifier: MIT */
/* Must fail (tests/unit/meson.build): a case that asserts nothing. */
#include "test.h"

TEST(asserts_nothing)
{
	int x = 1;
	(void)x;
}

TEST(asserts_something)
{
	CHECK(1 + 1 == 2);
}

int main(void)
{
	RUN(asserts_nothing);
	RUN(asserts_something);
	return test_exit();
}
