//! `GET /screen?id=<vm moid>[&w=&h=]`: the VM's console as a PNG, as vCenter
//! serves it. The simulated console is an 80x25 text-mode screen (8x16 cells,
//! 640x400 pixels) showing the VM's name, power state and a boot/login
//! prompt; a VM that is not powered on shows a black screen. The picture is
//! scaled (nearest neighbour) to the requested size.

use vim25::MoRef;

use crate::state::State;

/// The size a client gets when it asks for none; vCenter's own default.
pub(crate) const DEFAULT_SIZE: (u32, u32) = (800, 600);
/// Largest width or height served: bounds the work and memory of one request.
pub(crate) const MAX_SIDE: u32 = 4096;

const COLS: usize = 80;
const ROWS: usize = 25;
const CELL_W: usize = 8;
/// Each 8x8 glyph row is drawn twice: the 8x16 cell of a VGA text mode.
const CELL_H: usize = 16;
const NATIVE_W: usize = COLS * CELL_W;
const NATIVE_H: usize = ROWS * CELL_H;

const BACKGROUND: [u8; 3] = [0x10, 0x10, 0x18];
const TEXT: [u8; 3] = [0xc0, 0xc0, 0xc0];
const BRIGHT: [u8; 3] = [0xff, 0xff, 0xff];
const OFF: [u8; 3] = [0, 0, 0];

/// What is wrong with a `/screen` request, as its HTTP status says it.
#[derive(Debug, PartialEq)]
pub(crate) enum ScreenError {
    /// 400: a bad or missing parameter.
    BadRequest(String),
    /// 404: no such VM.
    NotFound(String),
    /// 500: the PNG could not be encoded.
    Encode(String),
}

/// Reads `w`/`h` from the query: absent means the default, anything but a
/// whole number from 1 to [`MAX_SIDE`] is refused.
pub(crate) fn size(w: Option<&str>, h: Option<&str>) -> Result<(u32, u32), ScreenError> {
    let side = |name: &str, v: Option<&str>, default: u32| match v {
        None => Ok(default),
        Some(s) => match s.parse::<u32>() {
            Ok(n) if (1..=MAX_SIDE).contains(&n) => Ok(n),
            _ => Err(ScreenError::BadRequest(format!(
                "{name} must be a whole number from 1 to {MAX_SIDE}, not {s:?}"
            ))),
        },
    };
    Ok((side("w", w, DEFAULT_SIZE.0)?, side("h", h, DEFAULT_SIZE.1)?))
}

/// The VM with managed object id `id`.
pub(crate) fn find_vm(st: &State, id: &str) -> Result<MoRef, ScreenError> {
    st.objects
        .moref_of(id)
        .filter(|m| m.kind == "VirtualMachine")
        .ok_or_else(|| ScreenError::NotFound(format!("no virtual machine with id {id:?}")))
}

/// What a console shows: lines of text and their colours; none is a black
/// screen. Read under the state lock, drawn after it is released.
pub(crate) struct Console(Vec<(String, [u8; 3])>);

/// The console of `vm` (blank when it is not powered on).
pub(crate) fn console(st: &State, vm: &MoRef) -> Console {
    Console(console_lines(st, vm))
}

fn console_lines(st: &State, vm: &MoRef) -> Vec<(String, [u8; 3])> {
    let power = st
        .objects
        .str_prop(vm, "runtime.powerState")
        .unwrap_or_else(|| "poweredOff".to_string());
    if power != "poweredOn" {
        return Vec::new();
    }
    let name = st.objects.name(vm);
    let guest = st
        .objects
        .str_prop(vm, "config.guestFullName")
        .unwrap_or_else(|| "Other guest".to_string());
    let host = st
        .objects
        .str_prop(vm, "guest.hostName")
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| {
            name.to_lowercase()
                .replace(|c: char| !c.is_ascii_alphanumeric(), "-")
        });
    vec![
        (format!("vcsim console: {name} ({})", vm.value), BRIGHT),
        (format!("Power state: {power}"), BRIGHT),
        (String::new(), TEXT),
        ("Booting from Hard Disk...".to_string(), TEXT),
        (guest, TEXT),
        (String::new(), TEXT),
        (format!("{host} login: _"), TEXT),
    ]
}

/// The native 640x400 RGB picture of a console.
fn native(console: &Console) -> Vec<[u8; 3]> {
    let lines = &console.0;
    let bg = if lines.is_empty() { OFF } else { BACKGROUND };
    let mut px = vec![bg; NATIVE_W * NATIVE_H];
    for (row, (text, colour)) in lines.iter().enumerate().take(ROWS) {
        for (col, ch) in text.chars().take(COLS).enumerate() {
            // Only ASCII has a glyph; anything else shows as '?'.
            let code = if ch.is_ascii() {
                ch as usize
            } else {
                '?' as usize
            };
            let glyph = font8x8::legacy::BASIC_LEGACY[code];
            for (gy, bits) in glyph.iter().enumerate() {
                for gx in 0..CELL_W {
                    if bits & (1 << gx) == 0 {
                        continue;
                    }
                    let x = col * CELL_W + gx;
                    for dy in 0..2 {
                        let y = row * CELL_H + gy * 2 + dy;
                        px[y * NATIVE_W + x] = *colour;
                    }
                }
            }
        }
    }
    px
}

/// A console as a `w` x `h` PNG.
pub(crate) fn png(console: &Console, w: u32, h: u32) -> Result<Vec<u8>, ScreenError> {
    let src = native(console);
    let (wu, hu) = (w as usize, h as usize);
    let mut data = Vec::with_capacity(wu * hu * 3);
    for y in 0..hu {
        let sy = y * NATIVE_H / hu;
        for x in 0..wu {
            let sx = x * NATIVE_W / wu;
            data.extend_from_slice(&src[sy * NATIVE_W + sx]);
        }
    }
    encode(&data, w, h).map_err(|e| ScreenError::Encode(e.to_string()))
}

fn encode(rgb: &[u8], w: u32, h: u32) -> Result<Vec<u8>, png::EncodingError> {
    let mut out = Vec::new();
    let mut enc = png::Encoder::new(&mut out, w, h);
    enc.set_color(png::ColorType::Rgb);
    enc.set_depth(png::BitDepth::Eight);
    let mut writer = enc.write_header()?;
    writer.write_image_data(rgb)?;
    writer.finish()?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_default_and_bounds() {
        assert_eq!(size(None, None), Ok(DEFAULT_SIZE));
        assert_eq!(size(Some("320"), Some("200")), Ok((320, 200)));
        for bad in ["0", "-1", "abc", "4097", ""] {
            assert!(size(Some(bad), None).is_err(), "{bad}");
            assert!(size(None, Some(bad)).is_err(), "{bad}");
        }
    }
}
