# `make run`: the Rust sample, step by step, as a user would do it.
. /guest/lib.sh
{
	echo "$ cat /proc/cmdline"
	cat /proc/cmdline
	echo "$ insmod rust_livepatch_sample.ko"
	insmod $MODULES/rust_livepatch_sample.ko && echo "(loaded)"
	wait_until 60 file_is $LP/rust_livepatch_sample/transition 0
	echo "$ cat /sys/kernel/livepatch/rust_livepatch_sample/{enabled,transition}"
	cat $LP/rust_livepatch_sample/enabled $LP/rust_livepatch_sample/transition
	echo "$ cat /proc/cmdline"
	cat /proc/cmdline
	echo "$ echo 0 > /sys/kernel/livepatch/rust_livepatch_sample/enabled"
	echo 0 >$LP/rust_livepatch_sample/enabled
	wait_until 60 gone $LP/rust_livepatch_sample
	echo "$ cat /proc/cmdline"
	cat /proc/cmdline
	echo "$ rmmod rust_livepatch_sample"
	rmmod rust_livepatch_sample && echo "(removed)"
	echo "# END rust-livepatch sample"
} >"$OUT" 2>&1
