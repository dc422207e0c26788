//! guest_ops: run programs and handle files inside a VM's guest through
//! VMware Tools (vSphere's GuestOperationsManager). Every tool takes an
//! account of the guest OS (`username`, `password`); the password goes to
//! vSphere with each call and nowhere else (the audit trail redacts it,
//! errors scrub it). The file tools are in `guest_files.rs`.

use std::time::{Duration, Instant};

use serde_json::{Value as Json, json};
use vim25::{Data, Value};

use super::call_env;
use super::guest::{Guest, Manager};
use super::guest_files::{
    CreateDirArgs, PathArgs, WriteArgs, create_guest_directory, delete_guest_file,
    list_guest_directory, read_guest_file, write_guest_file,
};
use super::params::{GUEST_PASSWORD, GUEST_USER, VM_NAME};
use super::typed::tool_args;
use super::{Ctx, Example, Failure, Hints, Output, Returns, ToolDef, run};
use crate::error::ToolError;

/// The longest run_command_in_guest waits for a program, in seconds.
const MAX_WAIT: i64 = 86_400;

tool_args! {
    pub struct LoginArgs {
        name: name, VM_NAME;
        username: string, GUEST_USER;
        password: string, GUEST_PASSWORD;
    }
}

tool_args! {
    pub struct RunArgs {
        name: name, VM_NAME;
        username: string, GUEST_USER;
        password: string, GUEST_PASSWORD;
        command: string, "Full path of the program in the guest, e.g. /bin/sh or C:\\Windows\\System32\\cmd.exe.";
        arguments: string = "", "Arguments for the program, as one string (e.g. -c \"uname -a > /tmp/uname.txt\").";
        working_directory: string = "", "Directory in the guest to start the program in (default: the guest's choice, usually the user's home).";
        wait_for_completion: bool = true, "Wait for the program to end and return its exit code.";
        timeout_seconds: int = 300, "How long to wait for the program to end (when waiting), in seconds.";
    }
}

const WRONG_LOGIN: &[&str] = &["failed for user 'root'", "incorrect user name or password"];
const WRITE_NOTES: (&str, &str) = (
    "write_guest_file",
    r#"{"name":"DC0_H0_VM0","username":"root","password":"vmware","guest_path":"/tmp/notes.txt","content":"remember the milk\n"}"#,
);

pub static TOOLS: &[ToolDef] = &[
    ToolDef {
        name: "create_guest_directory",
        title: "Create guest directory",
        description: "Create a directory inside the VM's guest (with missing parent directories \
            when create_parents is true, the default; then an existing directory is fine, as \
            with mkdir -p). Needs the VM powered on with VMware Tools running. Returns a \
            confirmation sentence.",
        hints: Hints::change(false, Some(true)),
        returns: Returns::Text,
        example: Example::args(
            r#"{"name":"DC0_H0_VM0","username":"root","password":"vmware","guest_path":"/tmp/reports/2026"}"#,
        ),
        failure: Failure::Args {
            args: r#"{"name":"DC0_H0_VM0","username":"root","password":"vmware","guest_path":"/tmp/a/b","create_parents":false}"#,
            expect: &[
                "not found in the guest of VM 'DC0_H0_VM0'",
                "create_parents",
            ],
        },
        run: run!(create_guest_directory, CreateDirArgs),
    },
    ToolDef {
        name: "delete_guest_file",
        title: "Delete guest file",
        description: "Delete a file, or an empty directory, inside the VM's guest (a directory \
            that still holds files is refused; empty it first, or run rm -r with \
            run_command_in_guest). Returns a confirmation sentence.",
        hints: Hints::change(true, Some(true)),
        returns: Returns::Text,
        example: Example {
            setup: &[WRITE_NOTES],
            args: r#"{"name":"DC0_H0_VM0","username":"root","password":"vmware","guest_path":"/tmp/notes.txt"}"#,
        },
        failure: Failure::Args {
            args: r#"{"name":"DC0_H0_VM0","username":"root","password":"vmware","guest_path":"/tmp/no-such-file"}"#,
            expect: &["'/tmp/no-such-file' not found in the guest of VM 'DC0_H0_VM0'"],
        },
        run: run!(delete_guest_file, PathArgs),
    },
    ToolDef {
        name: "list_guest_directory",
        title: "List guest directory",
        description: "List a directory inside the VM's guest: each entry's name, size (bytes), \
            type (file, directory or symlink), owner (the owner's numeric id on Linux and \
            other POSIX guests, null on Windows) and modified (ISO 8601). A file's path lists \
            that file alone.",
        hints: Hints::READ_ONLY,
        returns: Returns::List,
        example: Example::args(
            r#"{"name":"DC0_H0_VM0","username":"root","password":"vmware","guest_path":"/etc"}"#,
        ),
        failure: Failure::Args {
            args: r#"{"name":"DC0_H0_VM0","username":"root","password":"wrong","guest_path":"/etc"}"#,
            expect: WRONG_LOGIN,
        },
        run: run!(list_guest_directory, PathArgs),
    },
    ToolDef {
        name: "list_guest_processes",
        title: "List guest processes",
        description: "Processes in the VM's guest: pid, name, owner, command (the full command \
            line) and start_time; also end_time and exit_code, which are null while a process \
            runs and set for programs that ended recently (the guest keeps those a few \
            minutes, so exit codes of run_command_in_guest calls that did not wait show here).",
        hints: Hints::READ_ONLY,
        returns: Returns::List,
        example: Example::args(r#"{"name":"DC0_H0_VM0","username":"root","password":"vmware"}"#),
        failure: Failure::Args {
            args: r#"{"name":"DC0_H0_VM0","username":"root","password":"wrong"}"#,
            expect: WRONG_LOGIN,
        },
        run: run!(list_guest_processes, LoginArgs),
    },
    ToolDef {
        name: "read_guest_file",
        title: "Read guest file",
        description: "Read a file from the VM's guest (at most 4 MiB). Returns path, size \
            (bytes), content and encoding: utf-8 when the file is text, base64 when it is \
            binary (content is then the bytes in base64).",
        hints: Hints::READ_ONLY,
        returns: Returns::Object,
        example: Example::args(
            r#"{"name":"DC0_H0_VM0","username":"root","password":"vmware","guest_path":"/etc/hostname"}"#,
        ),
        failure: Failure::Args {
            args: r#"{"name":"DC0_H0_VM0","username":"root","password":"vmware","guest_path":"/etc/no-such-file"}"#,
            expect: &["'/etc/no-such-file' not found in the guest of VM 'DC0_H0_VM0'"],
        },
        run: run!(read_guest_file, PathArgs),
    },
    ToolDef {
        name: "run_command_in_guest",
        title: "Run command in guest",
        description: "Start a program inside the VM's guest as the given guest account. The \
            program's output is not returned (vSphere does not capture it): redirect it to a \
            file (e.g. command /bin/sh, arguments -c \"df -h > /tmp/df.txt\") and read that \
            with read_guest_file. Returns pid, command, arguments and started; when \
            wait_for_completion is true (the default) it waits up to timeout_seconds and adds \
            completed, exit_code and end_time (completed false: still running at the \
            timeout). Sends progress notifications while it waits when asked; stops waiting \
            (the program keeps running) when the call is cancelled.",
        hints: Hints::change(true, Some(false)),
        returns: Returns::Object,
        example: Example::args(
            r#"{"name":"DC0_H0_VM0","username":"root","password":"vmware","command":"/bin/sh","arguments":"-c \"uname -a > /tmp/uname.txt\""}"#,
        ),
        failure: Failure::Args {
            args: r#"{"name":"DC0_H0_VM0","username":"root","password":"vmware","command":"/usr/bin/no-such-program"}"#,
            expect: &["'/usr/bin/no-such-program' not found in the guest of VM 'DC0_H0_VM0'"],
        },
        run: run!(run_command_in_guest, RunArgs),
    },
    ToolDef {
        name: "write_guest_file",
        title: "Write guest file",
        description: "Write text to a file in the VM's guest (at most 4 MiB, written as UTF-8), \
            replacing it when overwrite is true (the default). The directory must exist \
            (create_guest_directory makes one). Returns a confirmation sentence.",
        hints: Hints::change(true, Some(true)),
        returns: Returns::Text,
        example: Example::args(
            r#"{"name":"DC0_H0_VM0","username":"root","password":"vmware","guest_path":"/tmp/hello.txt","content":"hello from mcvsphere\n"}"#,
        ),
        failure: Failure::Args {
            args: r#"{"name":"DC0_H0_VM0","username":"root","password":"vmware","guest_path":"/etc/hostname","content":"x","overwrite":false}"#,
            expect: &[
                "'/etc/hostname' already exists in the guest of VM 'DC0_H0_VM0'",
                "overwrite",
            ],
        },
        run: run!(write_guest_file, WriteArgs),
    },
];

/// One `GuestProcessInfo` as the contract's object, plus its end.
fn process_json(p: &Data) -> Json {
    let s = |k: &str| p.get(k).and_then(Value::as_str).map(str::to_string);
    json!({
        "pid": p.get("pid").and_then(Value::as_i64),
        "name": s("name"),
        "owner": s("owner"),
        "command": s("cmdLine"),
        "start_time": s("startTime"),
        "end_time": s("endTime"),
        "exit_code": p.get("exitCode").and_then(Value::as_i64),
    })
}

async fn list_processes(
    ctx: &Ctx,
    guest: &Guest,
    pids: Option<&[i64]>,
) -> Result<Vec<Json>, ToolError> {
    let mut req = guest.request(Manager::Processes, "ListProcessesInGuest")?;
    if let Some(pids) = pids {
        req = req.arg(
            "pids",
            Value::array(pids.iter().map(|p| Value::from(*p)).collect()),
        );
    }
    let answer = guest.call(ctx, &req, None).await?;
    Ok(answer
        .as_ref()
        .map(Value::as_array)
        .unwrap_or_default()
        .iter()
        .filter_map(Value::as_data)
        .map(process_json)
        .collect())
}

async fn list_guest_processes(ctx: Ctx, args: LoginArgs) -> Result<Output, ToolError> {
    let guest = Guest::open(&ctx, &args.name, &args.username, &args.password).await?;
    let procs = list_processes(&ctx, &guest, None).await?;
    Ok(Output::Json(Json::Array(procs)))
}

async fn run_command_in_guest(ctx: Ctx, args: RunArgs) -> Result<Output, ToolError> {
    if !(0..=MAX_WAIT).contains(&args.timeout_seconds) {
        return Err(ToolError::new(format!(
            "timeout_seconds must be 0 to {MAX_WAIT}, not {}",
            args.timeout_seconds
        )));
    }
    if args.command.trim().is_empty() {
        return Err(ToolError::new(
            "command is empty; give the full path of a program in the guest",
        ));
    }
    let guest = Guest::open(&ctx, &args.name, &args.username, &args.password).await?;
    let mut spec = Data::new("GuestProgramSpec")
        .with("programPath", args.command.as_str())
        .with("arguments", args.arguments.as_str());
    if !args.working_directory.is_empty() {
        spec.set("workingDirectory", args.working_directory.as_str());
    }
    let req = guest
        .request(Manager::Processes, "StartProgramInGuest")?
        .arg("spec", Value::data(spec));
    let pid = guest
        .call(&ctx, &req, Some(&args.command))
        .await?
        .as_ref()
        .and_then(Value::as_i64)
        .ok_or_else(|| ToolError::new("vCenter started the program but returned no pid"))?;
    let mut out = json!({
        "pid": pid,
        "command": args.command,
        "arguments": args.arguments,
        "started": true,
    });
    if args.wait_for_completion {
        let end = wait_for_exit(&ctx, &guest, pid, args.timeout_seconds).await?;
        out["completed"] = json!(end.is_some());
        out["exit_code"] = end.as_ref().map_or(Json::Null, |p| p["exit_code"].clone());
        out["end_time"] = end.as_ref().map_or(Json::Null, |p| p["end_time"].clone());
    }
    Ok(Output::Json(out))
}

/// Polls the process until it has an end time (its `GuestProcessInfo` as
/// JSON) or `timeout` seconds pass (`None`). Checks often at first, since
/// most commands end at once, then every two seconds.
async fn wait_for_exit(
    ctx: &Ctx,
    guest: &Guest,
    pid: i64,
    timeout: i64,
) -> Result<Option<Json>, ToolError> {
    let env = call_env::current();
    let started = Instant::now();
    let timeout = Duration::from_secs(timeout.unsigned_abs());
    let mut pause = Duration::from_millis(100);
    loop {
        let procs = list_processes(ctx, guest, Some(&[pid])).await?;
        let me = procs.into_iter().find(|p| p["pid"] == json!(pid));
        match me {
            Some(p) if !p["end_time"].is_null() => return Ok(Some(p)),
            Some(_) => {}
            None => {
                return Err(ToolError::new(format!(
                    "process {pid} disappeared {} before it could be seen ending",
                    guest.where_()
                )));
            }
        }
        let waited = started.elapsed();
        if waited >= timeout {
            return Ok(None);
        }
        env.progress(
            waited.as_secs_f64(),
            Some(timeout.as_secs_f64()),
            format!("waiting for process {pid} {}", guest.where_()),
        )
        .await;
        tokio::select! {
            _ = tokio::time::sleep(pause.min(timeout - waited)) => {}
            _ = env.cancelled() => {
                return Err(ToolError::new(format!(
                    "stopped waiting for process {pid} {} after {}s (the call was cancelled; \
                     the program keeps running)",
                    guest.where_(),
                    waited.as_secs()
                )));
            }
        }
        pause = (pause * 2).min(Duration::from_secs(2));
    }
}
