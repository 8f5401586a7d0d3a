#!/usr/bin/env bash
# The klp relocations of the built test modules, as binutils' readelf sees
# them (independently of klp's own ELF reading): `klp post-link`, run by
# scripts/build.sh, must have produced the livepatch ELF format
# (Documentation/livepatch/module-elf-format.rst); the *_unconverted module
# must be left as linked. qemu-run.sh runs it before the QEMU tests.
#
#   check-klp-elf.sh [DIR]    DIR: the built tests/modules (default)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/common.sh"
dir=${1:-$(dirname "$here")/tests/modules}
command -v readelf >/dev/null || die "readelf missing (binutils)"

failed=0
bad() {
	log "check-klp-elf: $*"
	failed=1
}

# converted KO SECTION ENTRIES SYMBOL...: KO has klp relocation section
# SECTION (SHT_RELA, flags SHF_ALLOC|SHF_INFO_LINK|SHF_RELA_LIVEPATCH) with
# ENTRIES relocations against .klp.sym symbols ('*': as many as the compiler
# left against .klp.sym symbols in the module's object, KO's .o, and at least
# one per SYMBOL: the count depends on the compiler, inlining and the
# configuration, KASAN adding one per access of a variable), each SYMBOL is
# SHN_LIVEPATCH (0xff20) and has a relocation there, no ordinary relocation
# section references a .klp.sym symbol, the marker byte is 1. readelf's output is read into
# variables first: `readelf | grep -q` fails under pipefail when grep stops
# reading early (SIGPIPE).
converted() {
	local ko=$dir/$1 sec=$2 n=$3 sym hdrs rels syms relsec count
	shift 3
	if [ ! -f "$ko" ] && ! grep -qxF "tests/modules/$(basename "$ko" .ko).o" "$dir/../../modules.order"; then
		log "check-klp-elf: $(basename "$ko") is not built for this kernel (tests/modules/Kbuild)"
		return
	fi
	[ -f "$ko" ] || { bad "$ko not built"; return; }
	[ -f "${ko%.ko}.o" ] || { bad "${ko%.ko}.o not built"; return; }
	hdrs=$(readelf -tW "$ko")
	rels=$(readelf -rW "$ko")
	syms=$(readelf -sW "$ko")
	[ "$(awk -v s="$sec" '$1 ~ /^\[/ && $NF == s { getline; getline; sub(/^ +/, ""); print; exit }' <<<"$hdrs")" = \
		"[0000000000100042]: ALLOC, INFO LINK, OS (0000000000100000)" ] ||
		bad "$ko: no section $sec with flags 0x100042 (SHF_ALLOC|SHF_INFO_LINK|SHF_RELA_LIVEPATCH)"
	relsec=$(awk -v s="Relocation section '$sec' at offset" 'index($0, s) == 1 { on = 1 } on && /^$/ { exit } on' <<<"$rels")
	[ -n "$relsec" ] || bad "$ko: $sec is not a relocation section"
	count=$(grep -c '\.klp\.sym\.' <<<"$relsec" || true)
	if [ "$n" = '*' ]; then
		[ "$count" -ge $# ] || bad "$ko: $sec holds $count relocations against .klp.sym symbols, fewer than $#"
		n=$(grep -c '\.klp\.sym\.' <<<"$(readelf -rW "${ko%.ko}.o")" || true)
		[ "$count" = "$n" ] || bad "$ko: $sec holds $count relocations against .klp.sym symbols, its object ${ko%.ko}.o $n"
	else
		[ "$count" = "$n" ] || bad "$ko: $sec holds $count relocations against .klp.sym symbols, not $n"
	fi
	for sym in "$@"; do
		grep -qE " WEAK +DEFAULT +OS \[0xff20\] $(printf '%s' "$sym" | sed 's/\./\\./g')\$" <<<"$syms" ||
			bad "$ko: $sym is not a WEAK SHN_LIVEPATCH (OS [0xff20]) symbol"
		grep -qF " $sym " <<<"$relsec" || bad "$ko: no relocation against $sym in $sec"
	done
	awk "/^Relocation section/ { s = \$3 } /\\.klp\\.sym\\./ && s !~ /^'\\.klp\\.rela\\./ { print s; exit 1 }" <<<"$rels" >/dev/null ||
		bad "$ko: an ordinary relocation section still references a .klp.sym symbol"
	marker "$ko" 01
}

# marker KO BYTE: the byte of __rust_livepatch_klp_converted.
marker() {
	local ko=$1 want=$2 value ndx off shoff
	read -r value ndx < <(readelf -sW "$ko" | awk '$8 == "__rust_livepatch_klp_converted" { print $2, $7 }')
	[ -n "${ndx:-}" ] || { bad "$ko: no __rust_livepatch_klp_converted"; return; }
	shoff=$(readelf -SW "$ko" | sed -n "s/^ *\[ *$ndx\] [^ ]* *[A-Z]* *[0-9a-f]* \([0-9a-f]*\) .*/\1/p")
	off=$((16#$shoff + 16#$value))
	[ "$(od -An -tx1 -j "$off" -N1 "$ko" | tr -d ' ')" = "$want" ] ||
		bad "$ko: __rust_livepatch_klp_converted is not $want"
}

converted rust_lp_external.ko .klp.rela.vmlinux..text '*' \
	.klp.sym.vmlinux.saved_command_line,0 .klp.sym.vmlinux.nr_processes,0
converted rust_lp_external_missing.ko .klp.rela.vmlinux..text '*' .klp.sym.vmlinux.rust_lp_no_such_function,0
converted rust_lp_external_mod.ko .klp.rela.livepatch_shadow_mod..text '*' .klp.sym.livepatch_shadow_mod.dummy_list,0

# The ports of kpatch's tests (tests.d/65-ports.sh) and the klp symbols the
# kernel refuses.
converted rust_lp_port_cmdline.ko .klp.rela.vmlinux..text '*' .klp.sym.vmlinux.saved_command_line,0
converted rust_lp_port_meminfo.ko .klp.rela.vmlinux..text '*' \
	.klp.sym.vmlinux.seq_put_decimal_ull_width,0 .klp.sym.vmlinux.vm_commit_limit,0 \
	.klp.sym.vmlinux.pcpu_nr_pages,0 .klp.sym.vmlinux.arch_report_meminfo,0 \
	.klp.sym.vmlinux.__pgtable_l5_enabled,0
converted rust_lp_port_syscall.ko .klp.rela.vmlinux..text '*' \
	.klp.sym.vmlinux.uts_sem,0 .klp.sym.vmlinux.override_release,0
converted rust_lp_module_statics.ko .klp.rela.klp_test_target..text '*' \
	.klp.sym.klp_test_target.klp_test_target_secret,0 .klp.sym.klp_test_target.klp_test_target_scale,0
converted rust_lp_port_tty.ko .klp.rela.vmlinux..text '*' \
	.klp.sym.vmlinux.process_echoes,0 .klp.sym.vmlinux.do_output_char,0 \
	.klp.sym.vmlinux.redirected_tty_write,0
converted rust_lp_sym_missing_var.ko .klp.rela.vmlinux..text '*' .klp.sym.vmlinux.rust_lp_no_such_variable,0
converted rust_lp_sym_ambiguous.ko .klp.rela.vmlinux..text '*' .klp.sym.vmlinux.c_start,0
converted rust_lp_sym_bad_sympos.ko .klp.rela.vmlinux..text '*' .klp.sym.vmlinux.saved_command_line,2

ko=$dir/rust_lp_external_unconverted.ko
if [ -f "$ko" ]; then
	! grep -qF .klp.rela. <<<"$(readelf -SW "$ko")" || bad "$ko: has .klp.rela sections"
	[ "$(readelf -sW "$ko" | grep -cE ' WEAK +DEFAULT +UND \.klp\.sym\.vmlinux\.')" = 2 ] ||
		bad "$ko: its two .klp.sym symbols are not WEAK undefined"
	marker "$ko" 00
else
	bad "$ko not built"
fi

# No symbol kallsyms lists between a replacement's entry stub and its body
# (scripts/build.sh renames objtool's padding symbols of the bodies).
for ko in "$dir"/*.ko; do
	! grep -qE ' __pfx_\$' <<<"$(readelf -sW "$ko")" ||
		bad "$ko: a __pfx_\$ symbol (objtool's padding of a replacement's body) would end its entry stub's kallsyms size"
done

[ "$failed" = 0 ] || die "the test modules are not as scripts/build.sh and klp post-link make them (above)"
log "check-klp-elf: the test modules' klp relocation sections, symbols and markers are right"
