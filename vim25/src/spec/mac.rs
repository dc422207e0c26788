//! MAC addresses for virtual NICs: the manual range vSphere accepts, and a
//! deterministic "generated" MAC for the simulator.

use super::SpecError;

/// The three bytes every VMware MAC starts with.
const OUI: [u8; 3] = [0x00, 0x50, 0x56];

/// Checks a MAC given for `addressType: manual` and returns it normalised
/// (lower case). vSphere accepts only `00:50:56:00:00:00`–`00:50:56:3F:FF:FF`
/// for static MACs: the range above 3F belongs to vCenter's own generator.
pub fn check_manual_mac(mac: &str) -> Result<String, SpecError> {
    let bad = |why: &str| SpecError::InvalidMac {
        mac: mac.to_string(),
        reason: why.to_string(),
    };
    let parts: Vec<&str> = mac.split(':').collect();
    if parts.len() != 6 || parts.iter().any(|p| p.len() != 2) {
        return Err(bad("expected six two-digit hex groups separated by ':'"));
    }
    let mut bytes = [0_u8; 6];
    for (b, p) in bytes.iter_mut().zip(&parts) {
        *b = u8::from_str_radix(p, 16).map_err(|_| bad("not a hexadecimal number"))?;
    }
    if bytes[..3] != OUI || bytes[3] > 0x3f {
        return Err(bad(
            "manual MACs must lie in 00:50:56:00:00:00-00:50:56:3F:FF:FF",
        ));
    }
    Ok(mac.to_ascii_lowercase())
}

/// A MAC in VMware's OUI derived only from `seed`: the same seed always gives
/// the same MAC. The bytes are those of a name-based (v5) UUID of
/// `vcsim-mac:{seed}` in the URL namespace, so the output equals what the
/// simulator has always generated.
pub fn generated_mac(seed: &str) -> String {
    // RFC 4122 namespace for URLs, 6ba7b811-9dad-11d1-80b4-00c04fd430c8.
    const NAMESPACE_URL: [u8; 16] = [
        0x6b, 0xa7, 0xb8, 0x11, 0x9d, 0xad, 0x11, 0xd1, 0x80, 0xb4, 0x00, 0xc0, 0x4f, 0xd4, 0x30,
        0xc8,
    ];
    let mut input = NAMESPACE_URL.to_vec();
    input.extend_from_slice(format!("vcsim-mac:{seed}").as_bytes());
    // A v5 UUID is the digest with version and variant bits set in bytes 6
    // and 8; the first three bytes, the only ones used, are the digest's.
    let h = sha1(&input);
    format!("00:50:56:{:02x}:{:02x}:{:02x}", h[0] & 0x3f, h[1], h[2])
}

/// SHA-1 (FIPS 180-4), used only to derive stable MACs, never for security;
/// written here so the wire crate needs no hashing dependency.
pub(crate) fn sha1(data: &[u8]) -> [u8; 20] {
    let mut h: [u32; 5] = [
        0x6745_2301,
        0xEFCD_AB89,
        0x98BA_DCFE,
        0x1032_5476,
        0xC3D2_E1F0,
    ];
    let mut msg = data.to_vec();
    let bit_len = (data.len() as u64).wrapping_mul(8);
    msg.push(0x80);
    while msg.len() % 64 != 56 {
        msg.push(0);
    }
    msg.extend_from_slice(&bit_len.to_be_bytes());
    for block in msg.chunks_exact(64) {
        let mut w = [0_u32; 80];
        for (i, word) in block.chunks_exact(4).enumerate() {
            w[i] = u32::from_be_bytes([word[0], word[1], word[2], word[3]]);
        }
        for i in 16..80 {
            w[i] = (w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16]).rotate_left(1);
        }
        let [mut a, mut b, mut c, mut d, mut e] = h;
        for (i, wi) in w.iter().enumerate() {
            let (f, k) = match i {
                0..=19 => ((b & c) | (!b & d), 0x5A82_7999),
                20..=39 => (b ^ c ^ d, 0x6ED9_EBA1),
                40..=59 => ((b & c) | (b & d) | (c & d), 0x8F1B_BCDC),
                _ => (b ^ c ^ d, 0xCA62_C1D6),
            };
            let t = a
                .rotate_left(5)
                .wrapping_add(f)
                .wrapping_add(e)
                .wrapping_add(k)
                .wrapping_add(*wi);
            e = d;
            d = c;
            c = b.rotate_left(30);
            b = a;
            a = t;
        }
        for (hv, v) in h.iter_mut().zip([a, b, c, d, e]) {
            *hv = hv.wrapping_add(v);
        }
    }
    let mut out = [0_u8; 20];
    for (chunk, v) in out.chunks_exact_mut(4).zip(h) {
        chunk.copy_from_slice(&v.to_be_bytes());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::sha1;

    fn hex(b: &[u8]) -> String {
        b.iter().map(|x| format!("{x:02x}")).collect()
    }

    #[test]
    fn sha1_matches_the_standard_test_vectors() {
        assert_eq!(hex(&sha1(b"")), "da39a3ee5e6b4b0d3255bfef95601890afd80709");
        assert_eq!(
            hex(&sha1(b"abc")),
            "a9993e364706816aba3e25717850c26c9cd0d89d"
        );
        // Two blocks: the padding spills into a second one.
        assert_eq!(
            hex(&sha1(
                b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"
            )),
            "84983e441c3bd26ebaae4aa1f95129e5e54670f1"
        );
    }
}
