// SPDX-License-Identifier: GPL-2.0
/*
 * The C reference of the consistency tests (scripts/guest/tests.d/60-consistency.sh):
 * replaces version_proc_show() with a version that first sleeps sleep_ms
 * milliseconds (a module parameter, writable at run time), so a task can be
 * made to sleep *inside the new code* while the patch is disabled, replaced
 * or unstacked. Same behaviour as rust_lp_sleepy.rs.
 */
#include <linux/delay.h>
#include <linux/livepatch.h>
#include <linux/module.h>
#include <linux/seq_file.h>

static int sleep_ms;
module_param(sleep_ms, int, 0644);
MODULE_PARM_DESC(sleep_ms, "sleep this long in the new version_proc_show() (default 0)");

static int livepatch_version_proc_show(struct seq_file *m, void *v)
{
	int ms = READ_ONCE(sleep_ms);

	if (ms > 0)
		msleep(ms);
	seq_puts(m, "klp_c_sleepy\n");
	return 0;
}

static struct klp_func funcs[] = {
	{
		.old_name = "version_proc_show",
		.new_func = livepatch_version_proc_show,
	}, { }
};

static struct klp_object objs[] = {
	{
		/* name being NULL means vmlinux */
		.funcs = funcs,
	}, { }
};

static struct klp_patch patch = {
	.mod = THIS_MODULE,
	.objs = objs,
};

static int klp_c_sleepy_init(void)
{
	return klp_enable_patch(&patch);
}

static void klp_c_sleepy_exit(void)
{
}

module_init(klp_c_sleepy_init);
module_exit(klp_c_sleepy_exit);
MODULE_LICENSE("GPL");
MODULE_INFO(livepatch, "Y");
MODULE_DESCRIPTION("rust-livepatch test: a C patch that sleeps in its new function");
