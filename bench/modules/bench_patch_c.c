// SPDX-License-Identifier: GPL-2.0
/*
 * The C patch of bench_target_fn(), written like the kernel's
 * samples/livepatch/livepatch-sample.c. bench_patch_rust.rs is the same
 * patch in Rust, with the same body.
 */
#include <linux/module.h>
#include <linux/kernel.h>
#include <linux/livepatch.h>

static int livepatch_bench_target_fn(int x)
{
	return x ^ 2;
}

static struct klp_func funcs[] = {
	{
		.old_name = "bench_target_fn",
		.new_func = livepatch_bench_target_fn,
	}, { }
};

static struct klp_object objs[] = {
	{
		.name = "bench_target",
		.funcs = funcs,
	}, { }
};

static struct klp_patch patch = {
	.mod = THIS_MODULE,
	.objs = objs,
};

static int bench_patch_c_init(void)
{
	return klp_enable_patch(&patch);
}

static void bench_patch_c_exit(void)
{
}

module_init(bench_patch_c_init);
module_exit(bench_patch_c_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("rust-livepatch bench: C patch of bench_target_fn");
MODULE_INFO(livepatch, "Y");
