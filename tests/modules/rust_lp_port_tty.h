/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What rust_lp_port_tty.rs uses of the tty layer, for bindgen (see
 * tests/modules/Kbuild): the structs of <linux/tty.h>, opaque in the
 * kernel's own Rust bindings, and a copy of struct n_tty_data, private to
 * drivers/tty/n_tty.c (Linux 7.2.13). The build checks the copy against
 * vmlinux's BTF, member by member (n_tty_data_layout.sh).
 */
#include <linux/tty.h>
#include <linux/tty_driver.h>

#define N_TTY_BUF_SIZE 4096

struct n_tty_data {
	/* producer-published */
	size_t read_head;
	size_t commit_head;
	size_t canon_head;
	size_t echo_head;
	size_t echo_commit;
	size_t echo_mark;
	DECLARE_BITMAP(char_map, 256);

	/* private to n_tty_receive_overrun (single-threaded) */
	unsigned long overrun_time;
	unsigned int num_overrun;

	/* non-atomic */
	bool no_room;

	/* must hold exclusive termios_rwsem to reset these */
	unsigned char lnext:1, erasing:1, raw:1, real_raw:1, icanon:1;
	unsigned char push:1;

	/* shared by producer and consumer */
	u8 read_buf[N_TTY_BUF_SIZE];
	DECLARE_BITMAP(read_flags, N_TTY_BUF_SIZE);
	u8 echo_buf[N_TTY_BUF_SIZE];

	/* consumer-published */
	size_t read_tail;
	size_t line_start;

	/* # of chars looked ahead (to find software flow control chars) */
	size_t lookahead_count;

	/* protected by output lock */
	unsigned int column;
	unsigned int canon_column;
	size_t echo_tail;

	struct mutex atomic_read_lock;
	struct mutex output_lock;
};
