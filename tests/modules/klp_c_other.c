// SPDX-License-Identifier: GPL-2.0
/*
 * The second C patch of the consistency tests: replaces version_proc_show()
 * too, without sleeping; replace=1 makes it an atomic-replace patch. Same
 * behaviour as rust_lp_other.rs.
 */
#include <linux/livepatch.h>
#include <linux/module.h>
#include <linux/seq_file.h>

static int replace;
module_param(replace, int, 0644);
MODULE_PARM_DESC(replace, "replace (default=0)");

static int livepatch_version_proc_show(struct seq_file *m, void *v)
{
	seq_puts(m, "klp_c_other\n");
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
		.funcs = funcs,
	}, { }
};

static struct klp_patch patch = {
	.mod = THIS_MODULE,
	.objs = objs,
};

static int klp_c_other_init(void)
{
	patch.replace = replace;
	return klp_enable_patch(&patch);
}

static void klp_c_other_exit(void)
{
}

module_init(klp_c_other_init);
module_exit(klp_c_other_exit);
MODULE_LICENSE("GPL");
MODULE_INFO(livepatch, "Y");
MODULE_DESCRIPTION("rust-livepatch test: a second C patch of version_proc_show");
