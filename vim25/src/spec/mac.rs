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
    let u = uuid::Uuid::new_v5(
        &uuid::Uuid::NAMESPACE_URL,
        format!("vcsim-mac:{seed}").as_bytes(),
    );
    let b = u.as_bytes();
    format!("00:50:56:{:02x}:{:02x}:{:02x}", b[0] & 0x3f, b[1], b[2])
}
