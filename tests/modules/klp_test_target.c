// SPDX-License-Identifier: GPL-2.0
/*
 * A module for the module-object test of the Rust ports
 * (scripts/guest/tests.d/65-ports.sh, tests/modules/rust_lp_module_statics.rs):
 * /sys/kernel/klp_test_target/value reads through the non-static
 * klp_test_target_show_value(), the function the patch replaces, and writes
 * the static klp_test_target_secret. The patch reads that static and calls
 * the static helper klp_test_target_scale(), which nothing here calls: both
 * are reached only through klp relocations of this module's object.
 */
#include <linux/kobject.h>
#include <linux/module.h>
#include <linux/sysfs.h>

static int klp_test_target_secret = 42;

/*
 * __used: nothing in this file calls it, and it must keep its symbol and
 * its C signature (no interprocedural change) for the patch to call it.
 */
static noinline __used int klp_test_target_scale(int v)
{
	return v * 10;
}

/*
 * Not static, as a function other files call would be; noinline: value_show()
 * must call it, so that replacing it has an effect.
 */
ssize_t klp_test_target_show_value(char *buf);
noinline ssize_t klp_test_target_show_value(char *buf)
{
	return sysfs_emit(buf, "%d\n", READ_ONCE(klp_test_target_secret));
}

static ssize_t value_show(struct kobject *kobj, struct kobj_attribute *attr, char *buf)
{
	return klp_test_target_show_value(buf);
}

static ssize_t value_store(struct kobject *kobj, struct kobj_attribute *attr,
			   const char *buf, size_t count)
{
	int v, ret;

	ret = kstrtoint(buf, 0, &v);
	if (ret)
		return ret;
	WRITE_ONCE(klp_test_target_secret, v);
	return count;
}

static struct kobj_attribute value_attr = __ATTR_RW(value);
static struct kobject *klp_test_target_kobj;

static int __init klp_test_target_init(void)
{
	int ret;

	klp_test_target_kobj = kobject_create_and_add("klp_test_target", kernel_kobj);
	if (!klp_test_target_kobj)
		return -ENOMEM;
	ret = sysfs_create_file(klp_test_target_kobj, &value_attr.attr);
	if (ret)
		kobject_put(klp_test_target_kobj);
	return ret;
}

static void __exit klp_test_target_exit(void)
{
	kobject_put(klp_test_target_kobj);
}

module_init(klp_test_target_init);
module_exit(klp_test_target_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("rust-livepatch test: a module object with a static helper and a static variable");
