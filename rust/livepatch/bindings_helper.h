/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The C API the livepatch crate binds. include/linux/livepatch.h is not part
 * of the kernel's own Rust `bindings`; its structs embed config-dependent
 * types (kobject, work_struct, completion), so they are generated against the
 * configured kernel tree at build time (see Kbuild.livepatch).
 */
#include <linux/livepatch.h>
