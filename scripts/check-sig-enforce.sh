#!/usr/bin/env bash
# Module signing with `klp build --sign KEY CERT`, as a user on a machine that
# loads only signed modules. One patch, written by `klp new cmdline_proc_show`
# in a directory outside the checkout (its body from tests/klp-new/), built
# three times by `klp build`: unsigned, signed with a key the kernel does not
# trust (made here with openssl), and signed with the build tree's key
# (certs/signing_key.pem, whose certificate the kernel has built in). The
# modules go to out/sig-enforce/; the guest (scripts/guest/sigenforce.sh)
# boots with module.sig_enforce=1: the first two are refused with the kernel's
# log line, the third loads and patches.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/common.sh"
top=$(dirname "$here")
klp=$(klp_release)
if [ -z "${KDIR:-}" ] && [ "${KERNEL:-}" = debian ]; then
	log "sig-enforce: not run on Debian's kernel: it trusts only Debian's own signing key, which is private, so no patch built here can load under module.sig_enforce=1 (sign yours with klp build --sign KEY CERT, your key enrolled as a machine owner key)"
	exit 0
fi
kernel_select dir
key=$KDIR/certs/signing_key.pem
cert=$KDIR/certs/signing_key.x509
[ -f "$key" ] && [ -f "$cert" ] || die "$KDIR has no signing key ($key, $cert): a CONFIG_MODULE_SIG build makes them"
out=$top/out/sig-enforce
rm -rf "$out"
mkdir -p "$out"
work=$(mktemp -d "${TMPDIR:-/tmp}/rust-livepatch-sig-enforce.XXXXXX")
trap 'rm -rf "$work"' EXIT

name=fix_cmdline_proc_show
dir=$work/$name
(cd "$work" && "$klp" new cmdline_proc_show --kdir "$KDIR") >"$out/new.log" 2>&1 ||
	die "klp new cmdline_proc_show failed: $(cat "$out/new.log")"
sed -i -e "/compile_error!/{r $top/tests/klp-new/cmdline_proc_show.body" -e 'd}' "$dir/$name.rs"

marker='~Module signature appended~'
signed() { tail -c 28 "$1" | cmp -s - <(printf '%s\n' "$marker"); }

# build OUTFILE [--sign KEY CERT]: klp build the directory, copy its module.
build() {
	local dest=$1
	shift
	"$klp" build "$dir" "$@" >"$out/$dest.stdout" 2>"$out/$dest.log" ||
		{ tail -n 20 "$out/$dest.log" >&2; die "klp build $* failed (log: $out/$dest.log)"; }
	[ "$(cat "$out/$dest.stdout")" = "$dir/$name.ko" ] ||
		die "klp build printed '$(cat "$out/$dest.stdout")', not $dir/$name.ko"
	cp "$dir/$name.ko" "$out/$dest"
}

build "unsigned-$name.ko"
signed "$out/unsigned-$name.ko" && die "klp build without --sign left a signed module"

openssl req -new -x509 -newkey rsa:2048 -nodes -sha256 -days 1 -batch -subj "/CN=not trusted by the test kernel/" \
	-keyout "$work/other.pem" -out "$work/other.x509" -outform DER 2>"$out/openssl.log" ||
	die "openssl could not make a key: $(cat "$out/openssl.log")"
build "otherkey-$name.ko" --sign "$work/other.pem" "$work/other.x509"
signed "$out/otherkey-$name.ko" || die "klp build --sign left no signature"
grep -qxF "$dir/$name.ko: signed with $work/other.pem" "$out/otherkey-$name.ko.log" ||
	die "klp build --sign did not say it signed (log: $out/otherkey-$name.ko.log)"

# Signed again in place with the tree's key: the other signature is replaced.
build "$name.ko" --sign "$key" "$cert"
signed "$out/$name.ko" || die "klp build --sign left no signature"
[ "$(grep -c "$marker" "$out/$name.ko")" = 1 ] || die "$name.ko has more than one signature"
cmp -s <(head -c "$(stat -c %s "$out/unsigned-$name.ko")" "$out/$name.ko") "$out/unsigned-$name.ko" ||
	die "the signed module is not the unsigned one plus a signature"
echo "$KDIR" >"$out/kdir"
log "sig-enforce: built unsigned, signed with an untrusted key, signed with $key"
"$here/qemu-run.sh" sigenforce
