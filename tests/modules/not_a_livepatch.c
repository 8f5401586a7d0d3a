// SPDX-License-Identifier: GPL-2.0
/*
 * An ordinary module, not a livepatch (no MODULE_INFO(livepatch, "Y")):
 * `klp load` must refuse it before asking the kernel (scripts/guest/tests.d/30-klp.sh).
 */
#include <linux/module.h>

static int __init not_a_livepatch_init(void)
{
	return 0;
}

static void __exit not_a_livepatch_exit(void)
{
}

module_init(not_a_livepatch_init);
module_exit(not_a_livepatch_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("An ordinary module that klp load must refuse");
