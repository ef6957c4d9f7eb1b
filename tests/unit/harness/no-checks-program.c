/* SPDX-License-Identifier: MIT */
/* Must fail (tests/unit/meson.build): a program that returns 0 from main
 * without a check and without test_exit(). */
#include "test.h"

int main(void)
{
	return 0;
}
