//! `GuestProcessManager`: start programs in a guest, list its processes
//! (finished ones with their exit code and end time), and end one.

use vim25::{Data, Fault, Value};

use super::{fs_fault, login};
use crate::call::{Call, Reply};
use crate::clock;
use crate::guest::Process;

/// `StartProgramInGuest`: the new process's pid. The program must exist in
/// the guest; it runs at once up to its first `sleep` (simulated time).
pub(crate) fn start_program(c: &Call) -> Reply {
    let spec = c.data("spec")?;
    let field = |f: &str| spec.get(f).and_then(Value::as_str);
    let program = field("programPath")
        .filter(|p| !p.is_empty())
        .ok_or_else(|| Fault::invalid_argument("spec.programPath"))?;
    let arguments = field("arguments").unwrap_or("");
    let cwd = field("workingDirectory");
    let env: Vec<String> = spec
        .get("envVariables")
        .map(Value::strings)
        .unwrap_or_default();
    let pid = c.shared.try_mutate(|st| {
        let l = login(st, c)?;
        let now = st.guests.clock.now();
        let g = l.guest(st);
        g.start(&l.user, program, arguments, cwd, &env, now)
            .map_err(|e| fs_fault(e, "spec.programPath"))
    })?;
    Ok(Some(Value::from(pid)))
}

fn info(p: &Process) -> Value {
    let mut d = Data::new("GuestProcessInfo")
        .with("name", p.name.as_str())
        .with("pid", p.pid)
        .with("owner", p.owner.as_str())
        .with("cmdLine", p.cmd_line.as_str())
        .with("startTime", clock::text(p.start));
    if let Some(e) = p.end {
        d.set("endTime", clock::text(e));
    }
    if let Some(x) = p.exit_code {
        d.set("exitCode", x);
    }
    Value::data(d)
}

/// `ListProcessesInGuest`: every process (or those in `pids`), finished ones included.
pub(crate) fn list_processes(c: &Call) -> Reply {
    let pids: Vec<i64> = c
        .value("pids")
        .map(|v| v.as_array().iter().filter_map(Value::as_i64).collect())
        .unwrap_or_default();
    let procs = c.shared.try_mutate(|st| {
        let l = login(st, c)?;
        Ok(l.guest(st).processes(&pids))
    })?;
    Ok(Some(Value::array(procs.iter().map(info).collect())))
}

/// `TerminateProcessInGuest`: ends a running process (exit 143 / 1).
pub(crate) fn terminate_process(c: &Call) -> Reply {
    let pid = c
        .value("pid")
        .and_then(Value::as_i64)
        .ok_or_else(|| Fault::invalid_argument("pid"))?;
    c.shared.try_mutate(|st| {
        let l = login(st, c)?;
        let now = st.guests.clock.now();
        match l.guest(st).terminate(&l.user, pid, now) {
            Ok(()) => Ok(None),
            Err(true) => Err(Fault::guest_permission_denied(&format!(
                "{} may not end process {pid}",
                l.user.name
            ))),
            Err(false) => Err(Fault::guest_process_not_found(pid)),
        }
    })
}

/// `ReadEnvironmentVariableInGuest`: `NAME=value` for the variables asked
/// (all when none), as the caller's programs would start with them.
pub(crate) fn read_environment(c: &Call) -> Reply {
    let names = c.strings("names");
    let vars = c.shared.try_mutate(|st| {
        let l = login(st, c)?;
        let g = l.guest(st);
        let os = g.os;
        let same = |a: &str, b: &str| match os {
            crate::guest::Os::Linux => a == b,
            crate::guest::Os::Windows => a.eq_ignore_ascii_case(b),
        };
        Ok(g.environment(&l.user)
            .into_iter()
            .filter(|(k, _)| names.is_empty() || names.iter().any(|n| same(n, k)))
            .map(|(k, v)| Value::from(format!("{k}={v}")))
            .collect::<Vec<_>>())
    })?;
    Ok(Some(Value::array(vars)))
}
