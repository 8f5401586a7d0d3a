// SPDX-License-Identifier: GPL-2.0
/*
 * The function the benchmark patches: a noinline C function (so it has an
 * ftrace site) exported to bench_caller, which calls it across modules as a
 * real caller would. Unpatched it returns x ^ 1; both patches return x ^ 2.
 */
#include <linux/module.h>

#include "bench_target.h"

noinline int bench_target_fn(int x)
{
	return x ^ 1;
}
EXPORT_SYMBOL_GPL(bench_target_fn);

static int __init bench_target_init(void)
{
	return 0;
}

static void __exit bench_target_exit(void)
{
}

module_init(bench_target_init);
module_exit(bench_target_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("rust-livepatch bench: the C function the patches replace");
