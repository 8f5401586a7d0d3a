/* SPDX-License-Identifier: GPL-2.0 */
#ifndef BENCH_TARGET_H
#define BENCH_TARGET_H

/* bench_target.c; unpatched it returns x ^ 1, patched x ^ 2. */
int bench_target_fn(int x);

#endif
