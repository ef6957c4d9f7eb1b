/* SPDX-License-Identifier: MIT */
/*
 * A workload for tests/archive/perf-archive.sh: about a second of user
 * time in its own functions (named from the perf archive only: the test
 * deletes this binary before analysing), system calls and forks for
 * kernel frames, and libc in between.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

__attribute__((noinline)) static long spin_inner(long n)
{
	volatile long s = 0;

	for (long i = 0; i < n; i++)
		s += i * i % 7;
	return s;
}

long spin_outer(long n);

__attribute__((noinline)) long spin_outer(long n)
{
	long s = 0;
	char buf[4096];

	for (int k = 0; k < 20; k++) {
		s += spin_inner(n);
		memset(buf, k, sizeof buf);
		s += getppid() + buf[k];
	}
	return s;
}

/* a tenth of a second or more inside libc, so that the recording always
 * samples it (the --dso-cap test needs two sampled DSOs) */
__attribute__((noinline)) static long libc_work(void)
{
	size_t n = 4u << 20;
	char *big = malloc(n);
	long s = 0;

	if (!big)
		return 0;
	for (int k = 0; k < 400; k++) {
		memset(big, k, n);
		s += ((volatile char *)big)[k];
	}
	free(big);
	return s;
}

int main(void)
{
	long s = libc_work();

	for (int i = 0; i < 60; i++) {
		s += spin_outer(300000);
		pid_t p = fork();
		if (p == 0)
			_exit(0);
		if (p > 0)
			waitpid(p, NULL, 0);
	}
	return (int)(s & 1);
}
