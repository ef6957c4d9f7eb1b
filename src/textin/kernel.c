/* SPDX-License-Identifier: MIT */
/*
 * Kernel or user: perf script names each frame's DSO, folded stacks and
 * perf report trees do not.  There the boundary is the first frame that
 * enters the kernel (a syscall, exception, interrupt entry or a kernel
 * thread's start), looked for from the root side: a user function named
 * like a kernel one above it (a "dup_mm" in some application) stays user.
 * The names are those of x86-64, arm64, s390 and powerpc kernels from
 * 2.6.32 to 6.18.
 */
#include <string.h>

#include <swapdiag/detect.h>

#include "textin/internal.h"

static const char *const entry_exact[] = {
	/* x86 syscalls and exceptions, 2.6.32 ... 6.x */
	"system_call", "system_call_fastpath", "system_call_after_swapgs",
	"sysenter_dispatch", "sysenter_do_call", "sysenter_past_esp",
	"ia32_sysenter_target", "ia32_syscall", "ia32_cstar_target",
	"cstar_dispatch", "syscall_call", "int_ret_from_sys_call",
	"ptregscall_common", "do_syscall_64", "do_syscall_32_irqs_on",
	"do_fast_syscall_32", "do_int80_syscall_32", "page_fault",
	"async_page_fault", "do_page_fault", "__do_page_fault",
	"exc_page_fault", "do_user_addr_fault", "general_protection",
	"apic_timer_interrupt", "smp_apic_timer_interrupt",
	"common_interrupt", "call_function_interrupt",
	"call_function_single_interrupt", "reschedule_interrupt",
	"irq_work_interrupt", "do_IRQ", "ret_from_intr",
	/* kernel threads and idle */
	"child_rip", "kernel_thread_helper", "kthread", "start_secondary",
	"start_kernel", "rest_init", "x86_64_start_kernel",
	"x86_64_start_reservations", "cpu_startup_entry", "cpu_idle",
	/* arm64, powerpc, s390 */
	"invoke_syscall", "el0_svc_common", "do_el0_svc", "el0_svc_handler",
	"system_call_common", "system_call_exception", "__do_syscall",
	"do_mem_abort",
};

static const char *const entry_prefix[] = {
	"entry_SYSCALL", "entry_INT80", "entry_SYSENTER", "stub_", "sys_",
	"SyS_", "__x64_sys_", "__ia32_sys_", "__ia32_compat_sys_",
	"__x32_compat_sys_", "__arm64_sys_", "__arm64_compat_sys_",
	"__se_sys_", "__do_sys_", "__s390x_sys_", "__s390_sys_",
	"__powerpc_sys_", "compat_sys_", "asm_exc_", "asm_sysvec_",
	"asm_common_interrupt", "sysvec_", "ret_from_fork", "secondary_startup",
	"common_startup", "el0_", "el0t_", "ret_from_syscall",
};

/* The kernel map unresolved, as perf names it (folded: bracketed twice). */
static const char *const kernel_maps[] = {
	"[kernel.kallsyms]", "[[kernel.kallsyms]]", "[kernel.vmlinux]",
	"[[kernel.vmlinux]]", "[vmlinux]", "[[vmlinux]]",
};

static bool in_list(const char *name, const char *const *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(name, v[i]))
			return true;
	return false;
}

static bool is_entry(const char *name)
{
	if (in_list(name, entry_exact, sizeof entry_exact / sizeof *entry_exact) ||
	    in_list(name, kernel_maps, sizeof kernel_maps / sizeof *kernel_maps))
		return true;
	for (size_t i = 0; i < sizeof entry_prefix / sizeof *entry_prefix; i++)
		if (!strncmp(name, entry_prefix[i], strlen(entry_prefix[i])))
			return true;
	return false;
}

/* A frame perf could not name in user space: "0x3748aacda7",
 * "[unknown]", "[libc-2.12.so]" (a DSO, not the kernel's map). */
static bool is_unresolved_user(const char *name)
{
	size_t n = strlen(name);
	uint64_t v;

	if (n > 2 && name[0] == '0' && name[1] == 'x')
		return sd_tparse_hex(name, n, &v) && v < 0xffff000000000000ull;
	if (n >= 2 && name[0] == '[' && name[n - 1] == ']')
		return !in_list(name, kernel_maps,
				sizeof kernel_maps / sizeof *kernel_maps);
	return false;
}

void sd_text_mark_kernel(const char *const *frames, bool *kernel, size_t n,
			 int leaf)
{
	size_t from = n;

	if (leaf != 0) {
		for (size_t i = 0; i < n; i++)
			if (is_entry(frames[i])) {
				from = i;
				break;
			}
		if (from == n && leaf == 1) {
			from = 0;
			while (from < n && is_unresolved_user(frames[from]))
				from++;
			if (from == n && n)
				from = n - 1; /* the leaf is kernel in any case */
		} else if (from == n) {
			for (size_t i = 0; i < n; i++)
				if (sd_kernel_func_known(frames[i])) {
					from = i;
					break;
				}
		}
	}
	for (size_t i = 0; i < n; i++)
		kernel[i] = i >= from;
}

bool sd_text_dso_is_kernel(const char *dso)
{
	static const char *const user_brackets[] = {
		"[unknown]", "[vdso]", "[vdso32]", "[vdsox32]", "[vsyscall]",
		"[vectors]", "[heap]", "[stack]", "[uprobes]", "[sigpage]",
	};
	size_t n = strlen(dso);

	/* "[kernel.kallsyms]", old perf's "[kernel.kallsyms]_text" */
	if (!strncmp(dso, "[kernel.", 8) || !strncmp(dso, "[guest.kernel.", 14))
		return true;
	if (n >= 2 && dso[0] == '[' && dso[n - 1] == ']') {
		if (in_list(dso, user_brackets,
			    sizeof user_brackets / sizeof *user_brackets) ||
		    !strncmp(dso, "[anon", 5) || !strncmp(dso, "[stack:", 7))
			return false;
		/* a module: "[ext4]", "[nf_conntrack_ipv4]" */
		return !memchr(dso, '/', n) && !strstr(dso, ".so");
	}
	const char *base = strrchr(dso, '/');
	base = base ? base + 1 : dso;
	if (!strcmp(base, "vmlinux") || !strncmp(base, "vmlinux-", 8))
		return true;
	const char *ko = strstr(base, ".ko");
	return ko && (ko[3] == '\0' || ko[3] == '.');
}
