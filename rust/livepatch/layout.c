// SPDX-License-Identifier: GPL-2.0
/*
 * The layout of the livepatch structs as the C compiler of the target kernel
 * sees it, emitted asm-offsets style and turned into Rust assertions
 * (Kbuild.livepatch): if bindgen's view of a struct the livepatch crate
 * writes differs from the compiler's (a GCC-built kernel, RANDSTRUCT, flags
 * bindgen did not get), the module fails to build instead of corrupting
 * memory in the guest.
 */
#include <linux/livepatch.h>
#include <linux/stddef.h>

#define EMIT(kind, what, val) \
	asm volatile("\n.ascii \"->" kind " " what " %0\"" : : "i" (val))
#define SIZE(s) EMIT("size", #s, sizeof(struct s))
#define OFFSET(s, f) EMIT("offset", #s " " #f, offsetof(struct s, f))

void rust_livepatch_layout(void);
void rust_livepatch_layout(void)
{
	/* Every field the crate initialises, and the sizes of the arrays. */
	SIZE(klp_func);
	OFFSET(klp_func, old_name);
	OFFSET(klp_func, new_func);
	OFFSET(klp_func, old_sympos);
	SIZE(klp_object);
	OFFSET(klp_object, name);
	OFFSET(klp_object, funcs);
	OFFSET(klp_object, callbacks);
	SIZE(klp_patch);
	OFFSET(klp_patch, mod);
	OFFSET(klp_patch, objs);
	OFFSET(klp_patch, states);
	OFFSET(klp_patch, replace);
	SIZE(klp_callbacks);
	SIZE(klp_state);
}
