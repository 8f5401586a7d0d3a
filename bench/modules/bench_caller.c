// SPDX-License-Identifier: GPL-2.0
/*
 * Times calls of bench_target_fn() (module bench_target), whichever function
 * they end up in: the original, or a livepatch's replacement reached through
 * the target's ftrace site.
 *
 *   cat /sys/module/bench_caller/parameters/run
 *
 * runs `rounds` rounds of `ncalls` calls each, interrupts off during a round,
 * and prints "state N" (bench_target_fn(0): 1 unpatched, 2 patched) then one
 * line "ps P" per round: picoseconds per call (ktime_get_ns, loop included).
 */
#include <linux/irqflags.h>
#include <linux/kernel.h>
#include <linux/ktime.h>
#include <linux/module.h>
#include <linux/moduleparam.h>

#include "bench_target.h"

static unsigned int ncalls = 20000;
module_param(ncalls, uint, 0644);
MODULE_PARM_DESC(ncalls, "calls per round");

static unsigned int rounds = 15;
module_param(rounds, uint, 0644);
MODULE_PARM_DESC(rounds, "rounds per read of run");

static int sink;

static u64 one_round(unsigned int n)
{
	unsigned long flags;
	unsigned int i;
	int sum = 0;
	u64 t0, t1;

	local_irq_save(flags);
	t0 = ktime_get_ns();
	for (i = 0; i < n; i++)
		sum += bench_target_fn(i);
	t1 = ktime_get_ns();
	local_irq_restore(flags);
	WRITE_ONCE(sink, sum);
	return t1 - t0;
}

static int run_get(char *buf, const struct kernel_param *kp)
{
	unsigned int r, n = max(READ_ONCE(ncalls), 1U), nr = READ_ONCE(rounds);
	int len;

	len = sysfs_emit(buf, "state %d\n", bench_target_fn(0));
	for (r = 0; r < nr; r++) {
		u64 ns = one_round(n);

		len += sysfs_emit_at(buf, len, "ps %llu\n", div_u64(ns * 1000, n));
		cond_resched();
	}
	return len;
}

static const struct kernel_param_ops run_ops = {
	.get = run_get,
};
module_param_cb(run, &run_ops, NULL, 0444);
MODULE_PARM_DESC(run, "read: run the benchmark");

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("rust-livepatch bench: times calls of bench_target_fn");
