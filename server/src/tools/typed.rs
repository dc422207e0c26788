//! Typed tool arguments. [`tool_args!`] declares a tool's parameters once —
//! name, kind, default, description, range — and generates both the
//! parameter table `tools/list` shows and the struct the handler receives,
//! so a misspelt argument is a compile error, not a runtime `None`.
//!
//! Kinds: `name` / `opt_name` (an inventory name, checked by
//! [`super::args::check_name`]), `string` / `opt_string`, `int` / `opt_int`,
//! `bool` / `opt_bool`, `strings` / `opt_strings` (a list of strings). `string`, `int`
//! and `bool` take a default as `= literal`; without one they are required.
//! `, positive(MAX, "unit")` after the description checks an integer lies
//! in `1..=MAX`. Checks run in declaration order, after every argument's
//! type has been checked ([`super::Args::new`]).

use super::Param;
use super::args::{Args, positive};
use crate::error::ToolError;

/// A tool's argument struct, made by [`tool_args!`].
pub trait ToolArgs: Sized {
    /// The parameters, in declaration order.
    const PARAMS: &'static [Param];

    /// Reads and checks the arguments (their types are already checked).
    fn from_args(args: &Args) -> Result<Self, ToolError>;
}

/// `, positive(MAX, "unit")` for required and optional integers.
pub trait Positive {
    fn check_positive(&self, arg: &str, max: i64, unit: &str) -> Result<(), ToolError>;
}

impl Positive for i64 {
    fn check_positive(&self, arg: &str, max: i64, unit: &str) -> Result<(), ToolError> {
        positive(arg, *self, max, unit).map(|_| ())
    }
}

impl Positive for Option<i64> {
    fn check_positive(&self, arg: &str, max: i64, unit: &str) -> Result<(), ToolError> {
        match self {
            Some(v) => v.check_positive(arg, max, unit),
            None => Ok(()),
        }
    }
}

macro_rules! arg_type {
    (name) => { String };
    (opt_name) => { Option<String> };
    (string) => { String };
    (opt_string) => { Option<String> };
    (int) => { i64 };
    (opt_int) => { Option<i64> };
    (bool) => { bool };
    (opt_bool) => { Option<bool> };
    (strings) => { Vec<String> };
    (opt_strings) => { Option<Vec<String>> };
}
pub(crate) use arg_type;

macro_rules! param_type {
    (name) => {
        $crate::tools::ParamType::String
    };
    (opt_name) => {
        $crate::tools::ParamType::String
    };
    (string) => {
        $crate::tools::ParamType::String
    };
    (opt_string) => {
        $crate::tools::ParamType::String
    };
    (int) => {
        $crate::tools::ParamType::Integer
    };
    (opt_int) => {
        $crate::tools::ParamType::Integer
    };
    (bool) => {
        $crate::tools::ParamType::Boolean
    };
    (opt_bool) => {
        $crate::tools::ParamType::Boolean
    };
    (strings) => {
        $crate::tools::ParamType::StringArray
    };
    (opt_strings) => {
        $crate::tools::ParamType::StringArray
    };
}
pub(crate) use param_type;

macro_rules! param_default {
    (string, $d:literal) => {
        $crate::tools::DefaultValue::Str($d)
    };
    (int, $d:literal) => {
        $crate::tools::DefaultValue::Int($d)
    };
    (bool, $d:literal) => {
        $crate::tools::DefaultValue::Bool($d)
    };
    (opt_name) => {
        $crate::tools::DefaultValue::Null
    };
    (opt_string) => {
        $crate::tools::DefaultValue::Null
    };
    (opt_int) => {
        $crate::tools::DefaultValue::Null
    };
    (opt_bool) => {
        $crate::tools::DefaultValue::Null
    };
    (opt_strings) => {
        $crate::tools::DefaultValue::Null
    };
    ($required:ident) => {
        $crate::tools::DefaultValue::Required
    };
}
pub(crate) use param_default;

macro_rules! arg_value {
    ($a:ident, name, $n:expr) => {
        $a.name($n)
    };
    ($a:ident, opt_name, $n:expr) => {
        $a.opt_name($n)
    };
    ($a:ident, string, $n:expr) => {
        $a.string($n)
    };
    ($a:ident, opt_string, $n:expr) => {
        $a.opt_string($n)
    };
    ($a:ident, int, $n:expr) => {
        $a.int($n)
    };
    ($a:ident, opt_int, $n:expr) => {
        $a.opt_int($n)
    };
    ($a:ident, bool, $n:expr) => {
        $a.bool($n)
    };
    ($a:ident, opt_bool, $n:expr) => {
        $a.opt_bool($n)
    };
    ($a:ident, strings, $n:expr) => {
        $a.strings($n)
    };
    ($a:ident, opt_strings, $n:expr) => {
        $a.opt_strings($n)
    };
}
pub(crate) use arg_value;

/// Declares a tool's argument struct; see the module documentation.
macro_rules! tool_args {
    (
        $(#[$meta:meta])*
        $vis:vis struct $S:ident {
            $(
                $field:ident : $kind:ident $(= $default:literal)? , $desc:expr
                $(, positive($max:expr, $unit:literal))? ;
            )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Debug)]
        $vis struct $S {
            $( pub $field: $crate::tools::typed::arg_type!($kind), )*
        }

        impl $crate::tools::typed::ToolArgs for $S {
            const PARAMS: &'static [$crate::tools::Param] = &[
                $(
                    $crate::tools::Param {
                        name: stringify!($field),
                        ty: $crate::tools::typed::param_type!($kind),
                        default: $crate::tools::typed::param_default!($kind $(, $default)?),
                        description: $desc,
                    },
                )*
            ];

            #[allow(unused_variables)]
            fn from_args(
                args: &$crate::tools::Args,
            ) -> Result<Self, $crate::error::ToolError> {
                $(
                    let $field = $crate::tools::typed::arg_value!(args, $kind, stringify!($field))?;
                    $(
                        $crate::tools::typed::Positive::check_positive(
                            &$field,
                            stringify!($field),
                            $max,
                            $unit,
                        )?;
                    )?
                )*
                Ok($S { $($field),* })
            }
        }
    };
}
pub(crate) use tool_args;

tool_args! {
    /// The arguments of a tool that takes none.
    pub struct NoArgs {}
}

tool_args! {
    /// The arguments of a tool that takes only the VM's name.
    pub struct VmName {
        name: name, super::params::VM_NAME;
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use serde_json::{Map, Value as Json, json};

    use super::ToolArgs;
    use crate::error::ToolError;
    use crate::tools::{
        Args, Ctx, DefaultValue, Example, Failure, Hints, Output, ParamType, Returns, ToolDef, run,
    };

    tool_args! {
        struct NtpArgs {
            ntp_servers: strings, "NTP servers.";
            extra: opt_strings, "More of them.";
            start_service: bool = true, "Restart ntpd.";
            vcpus: opt_int, "A count.", positive(8, "vCPUs");
        }
    }

    async fn run_ntp(_ctx: Ctx, a: NtpArgs) -> Result<Output, ToolError> {
        Ok(Output::Text(format!("{a:?}")))
    }

    static DEF: ToolDef = ToolDef {
        name: "configure_ntp",
        title: "t",
        description: "d",
        hints: Hints {
            read_only: None,
            destructive: None,
            idempotent: None,
        },
        returns: Returns::Text,
        example: Example::args(r#"{"ntp_servers":["a"]}"#),
        failure: Failure::Unreachable { expect: &[] },
        run: run!(run_ntp, NtpArgs),
    };

    fn parse(args: Json) -> Result<NtpArgs, ToolError> {
        let map: Map<String, Json> = serde_json::from_value(args).unwrap();
        NtpArgs::from_args(&Args::new(&DEF, map)?)
    }

    #[test]
    fn the_macro_declares_each_parameter_once_for_table_and_struct() {
        let names: Vec<&str> = NtpArgs::PARAMS.iter().map(|p| p.name).collect();
        assert_eq!(names, ["ntp_servers", "extra", "start_service", "vcpus"]);
        assert_eq!(NtpArgs::PARAMS[0].ty, ParamType::StringArray);
        assert_eq!(NtpArgs::PARAMS[0].default, DefaultValue::Required);
        assert_eq!(NtpArgs::PARAMS[1].default, DefaultValue::Null);
        assert_eq!(NtpArgs::PARAMS[2].default, DefaultValue::Bool(true));
        let a = parse(json!({"ntp_servers": ["a", "b"], "start_service": "false"})).unwrap();
        assert_eq!(a.ntp_servers, ["a", "b"]);
        assert_eq!(a.extra, None);
        assert!(!a.start_service);
        assert_eq!(a.vcpus, None);
        let a = parse(json!({"ntp_servers": [], "extra": ["c"], "vcpus": "4"})).unwrap();
        assert_eq!(a.extra, Some(vec!["c".to_string()]));
        assert_eq!(a.vcpus, Some(4));
    }

    #[test]
    fn array_of_string_has_the_contract_schema() {
        let s = Json::Object(DEF.input_schema());
        assert_eq!(
            s["properties"]["ntp_servers"],
            json!({"type": "array", "items": {"type": "string"}, "description": "NTP servers."})
        );
        // FastMCP's shape for an optional, nullable list (list_recent_events.event_types).
        assert_eq!(
            s["properties"]["extra"],
            json!({
                "anyOf": [{"type": "array", "items": {"type": "string"}}, {"type": "null"}],
                "default": null,
                "description": "More of them."
            })
        );
        assert_eq!(s["required"], json!(["ntp_servers"]));
    }

    #[test]
    fn array_of_string_arguments_are_checked() {
        let err = |args: Json| parse(args).unwrap_err().0;
        assert_eq!(
            err(json!({})),
            "Missing required argument 'ntp_servers' (a list of strings) for configure_ntp"
        );
        assert_eq!(
            err(json!({"ntp_servers": "pool.ntp.org"})),
            "Argument 'ntp_servers' must be a list of strings, got a string"
        );
        assert_eq!(
            err(json!({"ntp_servers": ["a", 3]})),
            "Argument 'ntp_servers' must be a list of strings, got a list containing an integer"
        );
        assert_eq!(
            err(json!({"ntp_servers": ["a"], "extra": [null]})),
            "Argument 'extra' must be a list of strings, got a list containing null"
        );
        assert_eq!(
            err(json!({"ntp_servers": ["a"], "vcpus": 9})),
            "Argument 'vcpus' is too large: 9 vCPUs (at most 8)"
        );
    }
}
