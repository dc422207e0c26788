//! console: get_vm_tools_status, vm_screenshot, wait_for_vm_tools. The
//! screenshot is vCenter's `GET /screen?id=<moid>[&w=&h=]`, fetched within
//! the server's own session (cookie, TLS settings); it comes back as an MCP
//! image content block and as the contract's JSON keys.

use std::time::{Duration, Instant};

use base64::Engine;
use serde_json::{Value as Json, json};

use super::call_env;
use super::params::VM_NAME;
use super::typed::{VmName, tool_args};
use super::vm::find_vm;
use super::{Ctx, Example, Failure, Hints, Output, Returns, ToolDef, run};
use crate::error::{ToolError, power_state_words};
use crate::views::guest::{self, tools_json, tools_running};
use crate::vsphere::Obj;

/// The largest side vCenter (and vcsim) scales a screenshot to.
const MAX_SIDE: i64 = 4096;
/// The longest wait_for_vm_tools waits, in seconds.
const MAX_WAIT: i64 = 3600;

tool_args! {
    pub struct ScreenshotArgs {
        name: name, VM_NAME;
        width: opt_int, "Width in pixels to scale the screenshot to (default: the console's own, 800).", positive(MAX_SIDE, "pixels");
        height: opt_int, "Height in pixels to scale the screenshot to (default: the console's own, 600).", positive(MAX_SIDE, "pixels");
    }
}

tool_args! {
    pub struct WaitArgs {
        name: name, VM_NAME;
        timeout: int = 120, "Seconds to wait for VMware Tools before giving up (0 checks once).";
        poll_interval: int = 5, "Seconds between checks.", positive(300, "seconds");
    }
}

const READ_ONLY: Hints = Hints {
    read_only: Some(true),
    destructive: None,
    idempotent: None,
};
const VM0: &str = r#"{"name":"DC0_H0_VM0"}"#;

pub static TOOLS: &[ToolDef] = &[
    ToolDef {
        name: "get_vm_tools_status",
        title: "Get VMware Tools status",
        description: "VMware Tools in a VM's guest: tools_status, tools_version, \
            tools_running_status, tools_version_status, and what Tools report of the guest \
            (ip_address, hostname, guest_os, guest_id, guest_state); null where Tools report \
            nothing (they are not running).",
        hints: READ_ONLY,
        returns: Returns::Object,
        example: Example::args(VM0),
        failure: Failure::Args {
            args: r#"{"name":"no-such-vm"}"#,
            expect: &["VM 'no-such-vm' not found"],
        },
        run: run!(get_vm_tools_status, VmName),
    },
    ToolDef {
        name: "vm_screenshot",
        title: "VM console screenshot",
        description: "Capture the VM's console as a PNG, optionally scaled to width x height \
            pixels. Returned as an image, and as vm_name, moid, content_type, size_bytes, \
            width, height and image_base64 (the PNG, base64). A powered-off VM's console is \
            black.",
        hints: READ_ONLY,
        returns: Returns::Object,
        example: Example::args(r#"{"name":"DC0_H0_VM0","width":320,"height":200}"#),
        failure: Failure::Args {
            args: r#"{"name":"DC0_H0_VM0","width":0}"#,
            expect: &["width"],
        },
        run: run!(vm_screenshot, ScreenshotArgs),
    },
    ToolDef {
        name: "wait_for_vm_tools",
        title: "Wait for VMware Tools",
        description: "Wait until VMware Tools run in the VM's guest (after a power-on or \
            reboot), checking every poll_interval seconds for up to timeout seconds. Returns \
            status (ready, or timeout), the Tools state, ip_address, hostname, guest_os and \
            wait_time_seconds. Fails at once for a VM that is not powered on. Sends progress \
            notifications while it waits when the client asks for them; stops when the call \
            is cancelled.",
        hints: READ_ONLY,
        returns: Returns::Object,
        example: Example::args(r#"{"name":"DC0_H0_VM0","timeout":10,"poll_interval":1}"#),
        failure: Failure::Args {
            args: r#"{"name":"DC0_H0_VM0","timeout":-1}"#,
            expect: &["timeout", "0 to 3600"],
        },
        run: run!(wait_for_vm_tools, WaitArgs),
    },
];

async fn read_tools(ctx: &Ctx, name: &str) -> Result<Obj, ToolError> {
    let vm = find_vm(ctx, name).await?;
    ctx.client
        .properties(&vm, &guest::TOOLS)
        .await
        .map_err(|e| ToolError::vsphere(&e, Some(name)))
}

async fn get_vm_tools_status(ctx: Ctx, args: VmName) -> Result<Output, ToolError> {
    let o = read_tools(&ctx, &args.name).await?;
    Ok(Output::Json(tools_json(&o)))
}

async fn vm_screenshot(ctx: Ctx, args: ScreenshotArgs) -> Result<Output, ToolError> {
    let vm = find_vm(&ctx, &args.name).await?;
    let mut query = format!("/screen?id={}", vm.value);
    if let Some(w) = args.width {
        query.push_str(&format!("&w={w}"));
    }
    if let Some(h) = args.height {
        query.push_str(&format!("&h={h}"));
    }
    let answer = ctx
        .client
        .http_get(&query)
        .await
        .map_err(|e| ToolError::vsphere(&e, Some(&args.name)))?;
    if answer.status != 200 {
        let words = String::from_utf8_lossy(&answer.body);
        return Err(ToolError::new(format!(
            "vCenter could not take a screenshot of VM '{}' (HTTP {}): {}",
            args.name,
            answer.status,
            words.trim()
        )));
    }
    let (width, height) = png_size(&answer.body).ok_or_else(|| {
        ToolError::new(format!(
            "vCenter's screenshot of VM '{}' is not a PNG (content type {:?})",
            args.name, answer.content_type
        ))
    })?;
    Ok(Output::Image(json!({
        "vm_name": args.name,
        "moid": vm.value.as_str(),
        "content_type": "image/png",
        "size_bytes": answer.body.len(),
        "width": width,
        "height": height,
        "image_base64": base64::engine::general_purpose::STANDARD.encode(&answer.body),
    })))
}

/// Width and height from a PNG's IHDR chunk (the first, by the format's
/// rules); `None` if the bytes are not a PNG.
fn png_size(png: &[u8]) -> Option<(u32, u32)> {
    const SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";
    if png.len() < 24 || !png.starts_with(SIGNATURE) || &png[12..16] != b"IHDR" {
        return None;
    }
    let be = |b: &[u8]| u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
    Some((be(&png[16..20]), be(&png[20..24])))
}

async fn wait_for_vm_tools(ctx: Ctx, args: WaitArgs) -> Result<Output, ToolError> {
    if !(0..=MAX_WAIT).contains(&args.timeout) {
        return Err(ToolError::new(format!(
            "timeout must be 0 to {MAX_WAIT} seconds, not {}",
            args.timeout
        )));
    }
    let env = call_env::current();
    let started = Instant::now();
    let timeout = Duration::from_secs(args.timeout.unsigned_abs());
    let interval = Duration::from_secs(args.poll_interval.unsigned_abs());
    loop {
        let o = read_tools(&ctx, &args.name).await?;
        let power = o.str("runtime.powerState").unwrap_or("unknown");
        if power != "poweredOn" {
            return Err(ToolError::new(format!(
                "VM '{}' is {}; VMware Tools run only in a powered-on VM (power_on it first)",
                args.name,
                power_state_words(power)
            )));
        }
        let waited = started.elapsed();
        if tools_running(&o) {
            return Ok(Output::Json(wait_result("ready", &o, waited)));
        }
        if waited >= timeout {
            return Ok(Output::Json(wait_result("timeout", &o, waited)));
        }
        env.progress(
            waited.as_secs_f64(),
            Some(timeout.as_secs_f64()),
            format!(
                "waiting for VMware Tools in VM '{}' ({})",
                args.name,
                o.str("guest.toolsRunningStatus").unwrap_or("not reported")
            ),
        )
        .await;
        tokio::select! {
            _ = tokio::time::sleep(interval.min(timeout - waited)) => {}
            _ = env.cancelled() => {
                return Err(ToolError::new(format!(
                    "wait_for_vm_tools for VM '{}' was cancelled after {}s",
                    args.name,
                    waited.as_secs()
                )));
            }
        }
    }
}

fn wait_result(status: &str, o: &Obj, waited: Duration) -> Json {
    let t = tools_json(o);
    json!({
        "status": status,
        "tools_status": t["tools_status"],
        "tools_version": t["tools_version"],
        "tools_running_status": t["tools_running_status"],
        "ip_address": t["ip_address"],
        "hostname": t["hostname"],
        "guest_os": t["guest_os"],
        "wait_time_seconds": (waited.as_secs_f64() * 10.0).round() / 10.0,
    })
}

#[cfg(test)]
mod tests {
    use super::png_size;

    #[test]
    fn png_size_reads_the_header_and_refuses_other_bytes() {
        let mut png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
        png.extend_from_slice(&320u32.to_be_bytes());
        png.extend_from_slice(&200u32.to_be_bytes());
        assert_eq!(png_size(&png), Some((320, 200)));
        assert_eq!(png_size(b"<html>not found</html> and more bytes"), None);
        assert_eq!(png_size(&png[..20]), None);
    }
}
