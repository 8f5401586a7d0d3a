//! Module signatures as the kernel reads them
//! (`include/linux/module_signature.h`, `kernel/module/signing.c`): the
//! signed module is the module, then the PKCS#7 signature, then a
//! `struct module_signature` whose last field is the signature's length,
//! then the string [`MAGIC`]. `scripts/sign-file` appends them; the kernel
//! verifies the last one against everything before it.
//!
//! `klp build --sign` strips a signature a previous run appended before
//! signing again, so the file carries one signature, over the module.

/// What ends a signed module.
pub const MAGIC: &[u8] = b"~Module signature appended~\n";
/// `sizeof(struct module_signature)`.
const INFO_LEN: usize = 12;

/// The length of the module without its signature, if it has one; an
/// `Err` for a trailer the kernel would reject as malformed.
pub fn unsigned_len(data: &[u8]) -> Result<Option<usize>, String> {
    let Some(rest) = data.strip_suffix(MAGIC) else {
        return Ok(None);
    };
    if rest.len() < INFO_LEN {
        return Err("its signature trailer is truncated".into());
    }
    let info = &rest[rest.len() - INFO_LEN..];
    let (signer_len, key_id_len) = (info[3] as usize, info[4] as usize);
    let sig_len = u32::from_be_bytes(info[8..12].try_into().unwrap()) as usize;
    let body = rest.len() - INFO_LEN;
    signer_len
        .checked_add(key_id_len)
        .and_then(|n| n.checked_add(sig_len))
        .and_then(|n| body.checked_sub(n))
        .map(Some)
        .ok_or_else(|| {
            format!("its signature trailer claims {sig_len} bytes of signature, more than it has")
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `module` signed with a signature of `sig_len` bytes, as sign-file
    /// lays it out (PKCS#7: no signer name nor key id in the header).
    fn signed(module: &[u8], sig_len: usize) -> Vec<u8> {
        let mut v = module.to_vec();
        v.extend(std::iter::repeat_n(0x30, sig_len));
        v.extend_from_slice(&[0, 0, 2, 0, 0, 0, 0, 0]);
        v.extend_from_slice(&(sig_len as u32).to_be_bytes());
        v.extend_from_slice(MAGIC);
        v
    }

    #[test]
    fn a_signature_is_found_and_measured() {
        let module = b"\x7fELF module bytes";
        assert_eq!(unsigned_len(module), Ok(None));
        let once = signed(module, 300);
        assert_eq!(unsigned_len(&once), Ok(Some(module.len())));
        // Signed twice: the last signature covers the first; stripping it
        // leaves a signed module, stripped again the module.
        let twice = signed(&once, 7);
        assert_eq!(unsigned_len(&twice), Ok(Some(once.len())));
    }

    #[test]
    fn a_malformed_trailer_is_an_error() {
        let mut short = b"abc".to_vec();
        short.extend_from_slice(MAGIC);
        assert_eq!(
            unsigned_len(&short),
            Err("its signature trailer is truncated".into())
        );
        let mut lying = signed(b"m", 4);
        let at = lying.len() - MAGIC.len() - 4;
        lying[at..at + 4].copy_from_slice(&1000u32.to_be_bytes());
        assert_eq!(
            unsigned_len(&lying),
            Err("its signature trailer claims 1000 bytes of signature, more than it has".into())
        );
    }
}
