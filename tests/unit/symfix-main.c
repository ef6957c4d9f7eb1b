/* SPDX-License-Identifier: MIT */
/* main() for the executable fixtures of test-symbols-elf. */
int sd_fix_calls_puts(const char *s);
void cxx_tmpl(int a) __asm__("_Z5tmplfIiEvT_");
int cxx_burn(int a, double b) __asm__("_ZN2ns4burnEid");

int main(int argc, char **argv)
{
	(void)argv;
	cxx_tmpl(argc);
	return sd_fix_calls_puts("fixture") + cxx_burn(argc, 1.0) > 1000;
}
