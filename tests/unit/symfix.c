/* SPDX-License-Identifier: MIT */
/*
 * A fixture for test-symbols-elf: functions whose names, bindings and
 * aliases the test knows (facts as `nm` shows them):
 *
 *   T sd_fix_alpha             global FUNC
 *   T sd_fix_alpha_alias_long  global FUNC, same address and size
 *   T sd_fix_beta              global FUNC
 *   W sd_fix_beta_weak_alias   weak FUNC at sd_fix_beta, longer name
 *   t sd_fix_local             local FUNC
 *   W sd_fix_weak              weak FUNC
 *   T _ZN2ns4burnEid           C++ "ns::burn(int, double)"
 *   T _Z5tmplfIiEvT_           C++ "void tmplf<int>(int)"
 *   T sd_fix_overlong_abcdefghi...  16 + 9000 bytes, over SD_SYM_NAME_MAX
 *
 * sd_fix_calls_puts calls puts() and strlen() through the PLT, and in the
 * shared object (calls to its own global functions go through the PLT)
 * _Z5tmplfIiEvT_ and the overlong name too.
 */
#include <stdio.h>
#include <string.h>

volatile int sd_fix_sink;

int sd_fix_alpha(int x);
int sd_fix_beta(int x);
int sd_fix_weak(int x);
int sd_fix_calls_puts(const char *s);

__attribute__((noinline)) int sd_fix_alpha(int x)
{
	for (int i = 0; i < x; i++)
		sd_fix_sink += i;
	return sd_fix_sink;
}
int sd_fix_alpha_alias_long(int x) __attribute__((alias("sd_fix_alpha")));

__attribute__((noinline)) int sd_fix_beta(int x)
{
	sd_fix_sink += x * 3;
	return sd_fix_sink;
}
int sd_fix_beta_weak_alias(int x) __attribute__((weak, alias("sd_fix_beta")));

__attribute__((noinline, used)) static int sd_fix_local(int x)
{
	sd_fix_sink ^= x;
	return sd_fix_sink + 1;
}

__attribute__((noinline, weak)) int sd_fix_weak(int x)
{
	return sd_fix_local(x) + 2;
}

__attribute__((noinline)) int cxx_burn(int a, double b) __asm__("_ZN2ns4burnEid");
__attribute__((noinline)) int cxx_burn(int a, double b)
{
	return sd_fix_alpha(a) + (int)b;
}

__attribute__((noinline)) void cxx_tmpl(int a) __asm__("_Z5tmplfIiEvT_");
__attribute__((noinline)) void cxx_tmpl(int a)
{
	sd_fix_sink += a;
}

#define SD_FIX_R10(s) s s s s s s s s s s
__attribute__((noinline)) int sd_fix_overlong(int x) __asm__(
	"sd_fix_overlong_" SD_FIX_R10(SD_FIX_R10(SD_FIX_R10("abcdefghi"))));
__attribute__((noinline)) int sd_fix_overlong(int x)
{
	return x + sd_fix_sink;
}

__attribute__((noinline)) int sd_fix_calls_puts(const char *s)
{
	puts(s);
	cxx_tmpl(4);
	return (int)strlen(s) + sd_fix_weak(1) + sd_fix_beta(2) +
	       sd_fix_overlong(3);
}
