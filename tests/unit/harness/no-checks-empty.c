/* SPDX-License-Identifier: MIT */
/* Must fail (tests/unit/meson.build): no case run, test_exit() called. */
#include "test.h"

int main(void)
{
	return test_exit();
}
