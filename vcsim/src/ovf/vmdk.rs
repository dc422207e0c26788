//! The stream-optimized VMDK format NFC moves disks in: a 512-byte
//! `SparseExtentHeader` (magic `KDMV`, version 3, compressed grains with
//! markers, grain directory at the end), an embedded descriptor, and an
//! end-of-stream marker. An export of a disk nobody wrote is such a stream
//! of an all-zero disk; an upload must start with the header.

const SECTOR: usize = 512;
const MAGIC: &[u8; 4] = b"KDMV";
/// Valid new-line test, compressed grains, markers.
const FLAGS: u32 = 0x0003_0001;

/// A stream-optimized VMDK of an empty disk of `capacity` bytes named `name`.
pub(crate) fn empty_stream(capacity: i64, name: &str) -> Vec<u8> {
    let sectors = (capacity.max(0) as u64).div_ceil(SECTOR as u64);
    let mut h = vec![0u8; SECTOR];
    h[0..4].copy_from_slice(MAGIC);
    h[4..8].copy_from_slice(&3u32.to_le_bytes());
    h[8..12].copy_from_slice(&FLAGS.to_le_bytes());
    h[12..20].copy_from_slice(&sectors.to_le_bytes());
    h[20..28].copy_from_slice(&128u64.to_le_bytes()); // grain size
    h[28..36].copy_from_slice(&1u64.to_le_bytes()); // descriptor offset
    h[36..44].copy_from_slice(&1u64.to_le_bytes()); // descriptor size
    h[44..48].copy_from_slice(&512u32.to_le_bytes()); // GTEs per GT
    h[56..64].copy_from_slice(&u64::MAX.to_le_bytes()); // GD at the end
    h[64..72].copy_from_slice(&128u64.to_le_bytes()); // overhead
    h[73] = b'\n';
    h[74] = b' ';
    h[75] = b'\r';
    h[76] = b'\n';
    h[77..79].copy_from_slice(&1u16.to_le_bytes()); // deflate
    let desc = format!(
        "# Disk DescriptorFile\nversion=1\nCID=fffffffe\nparentCID=ffffffff\ncreateType=\"streamOptimized\"\n\n# Extent description\nRW {sectors} SPARSE \"{name}\"\n\n# The Disk Data Base\nddb.adapterType = \"lsilogic\"\nddb.virtualHWVersion = \"13\"\n"
    );
    let mut d = desc.into_bytes();
    d.resize(SECTOR, 0);
    h.extend_from_slice(&d);
    // End-of-stream marker: a zero sector.
    h.extend_from_slice(&[0u8; SECTOR]);
    h
}

/// Why `bytes` is not a stream-optimized VMDK, if it is not.
pub(crate) fn not_stream_optimized(bytes: &[u8]) -> Option<String> {
    if bytes.len() < SECTOR {
        return Some(format!(
            "{} bytes is shorter than a VMDK header (512)",
            bytes.len()
        ));
    }
    if &bytes[0..4] != MAGIC {
        return Some("the data does not start with the VMDK magic 'KDMV'".into());
    }
    let version = u32::from_le_bytes([bytes[4], bytes[5], bytes[6], bytes[7]]);
    let flags = u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]);
    if version != 3 || flags & 0x0001_0000 == 0 {
        return Some(format!(
            "the VMDK is not stream-optimized (version {version}, flags {flags:#x})"
        ));
    }
    None
}

/// The capacity in bytes a header declares.
pub(crate) fn capacity(bytes: &[u8]) -> Option<i64> {
    let s = bytes.get(12..20)?;
    let sectors = u64::from_le_bytes(s.try_into().ok()?);
    i64::try_from(sectors.checked_mul(SECTOR as u64)?).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issue_13_an_empty_stream_is_stream_optimized_with_its_capacity() {
        let s = empty_stream(16 << 20, "d.vmdk");
        assert_eq!(not_stream_optimized(&s), None);
        assert_eq!(capacity(&s), Some(16 << 20));
        assert!(not_stream_optimized(b"hello").is_some());
        assert!(
            not_stream_optimized(&[0u8; 600])
                .expect("refused")
                .contains("KDMV")
        );
    }
}
