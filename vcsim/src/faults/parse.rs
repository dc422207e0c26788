//! The two text forms of a rule: the `--fault` flag and the control API's
//! JSON. Every error names the field (or flag key) at fault.
//!
//! Flag grammar: `METHOD[@TYPE][#NAME]:FAULT[:key=value,...]`, where METHOD
//! is a wire method name or `*`, FAULT a vim25 fault type or one of the
//! actions `drop` / `drop_after`, and the keys `count`, `skip`,
//! `probability`, `delay_ms`, `as` (`task`|`soap`), `action`
//! (`fault`|`drop`|`drop_after`) and `message` (last: it takes the rest of
//! the text, commas included).

use std::time::Duration;

use serde_json::{Map, Value, json};

use super::rules::{FaultAction, FaultDelivery, FaultRule, RuleStatus};

impl FaultRule {
    /// Parses the `--fault` flag grammar (see the module docs).
    pub fn parse(text: &str) -> Result<FaultRule, String> {
        let mut parts = text.splitn(3, ':');
        let target = parts.next().unwrap_or_default().trim();
        let what = parts
            .next()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .ok_or_else(|| {
                format!("{text:?}: expected METHOD[@TYPE][#NAME]:FAULT[:key=value,...]")
            })?;
        let (method, kind, name) = split_target(target);
        let mut rule = match FaultAction::parse(what) {
            Some(FaultAction::Fault) | None => FaultRule::new(method, what),
            Some(a) => FaultRule {
                action: a,
                ..FaultRule::new(method, "")
            },
        };
        rule.object_type = kind.map(str::to_string);
        rule.object_name = name.map(str::to_string);
        let mut rest = parts.next().unwrap_or_default();
        while !rest.is_empty() {
            let (item, tail) = match rest.split_once(',') {
                _ if rest.starts_with("message=") => (rest, ""),
                Some((i, t)) => (i, t),
                None => (rest, ""),
            };
            rest = tail;
            let (k, v) = item
                .split_once('=')
                .ok_or_else(|| format!("{item:?}: expected key=value"))?;
            set_key(&mut rule, k.trim(), v)?;
        }
        rule.validate()?;
        Ok(rule)
    }

    /// A rule from the control API's JSON object; unknown fields are errors.
    pub fn from_json(v: &Value) -> Result<FaultRule, String> {
        let obj = v
            .as_object()
            .ok_or("the body must be a JSON object describing one rule")?;
        let action = match obj.get("action") {
            None | Some(Value::Null) => FaultAction::Fault,
            Some(a) => a
                .as_str()
                .and_then(FaultAction::parse)
                .ok_or("action: must be \"fault\", \"drop\" or \"drop_after\"")?,
        };
        let mut rule = FaultRule {
            action,
            ..FaultRule::new("*", "")
        };
        for (k, v) in obj {
            json_field(&mut rule, k, v)?;
        }
        rule.validate()?;
        Ok(rule)
    }

    /// The JSON form [`FaultRule::from_json`] reads.
    pub fn to_json(&self) -> Value {
        let mut m = Map::new();
        m.insert(
            "method".into(),
            json!(self.method.as_deref().unwrap_or("*")),
        );
        m.insert("object_type".into(), json!(self.object_type));
        m.insert("object_name".into(), json!(self.object_name));
        m.insert("fault".into(), json!(self.fault));
        m.insert("message".into(), json!(self.message));
        m.insert("probability".into(), json!(self.probability));
        m.insert("count".into(), json!(self.count));
        m.insert("skip".into(), json!(self.skip));
        m.insert(
            "delay_ms".into(),
            json!(self.delay.map(|d| d.as_millis() as u64).unwrap_or(0)),
        );
        m.insert("action".into(), json!(self.action.as_str()));
        m.insert("as".into(), json!(self.deliver.as_str()));
        Value::Object(m)
    }
}

impl RuleStatus {
    /// The rule's JSON with `id`, `hits`, `matched` and `spent`.
    pub fn to_json(&self) -> Value {
        let mut v = self.rule.to_json();
        if let Value::Object(m) = &mut v {
            m.insert("id".into(), json!(self.id));
            m.insert("hits".into(), json!(self.hits));
            m.insert("matched".into(), json!(self.matched));
            m.insert("spent".into(), json!(self.spent()));
        }
        v
    }
}

/// `METHOD[@TYPE][#NAME]` (the two suffixes in either order).
fn split_target(t: &str) -> (&str, Option<&str>, Option<&str>) {
    let (rest, name) = match t.split_once('#') {
        Some((a, b)) => (a, Some(b)),
        None => (t, None),
    };
    let (method, kind) = match rest.split_once('@') {
        Some((a, b)) => (a, Some(b)),
        None => (rest, None),
    };
    // `METHOD#NAME@TYPE`: the type came after the name.
    match name.and_then(|n| n.split_once('@')) {
        Some((n, k)) if kind.is_none() => (method, Some(k), Some(n)),
        _ => (method, kind, name),
    }
}

fn set_key(rule: &mut FaultRule, k: &str, v: &str) -> Result<(), String> {
    let num = |what: &str| -> Result<u32, String> {
        v.trim()
            .parse::<u32>()
            .map_err(|_| format!("{what}: {v:?} is not a whole number"))
    };
    match k {
        "count" => rule.count = Some(num("count")?),
        "skip" => rule.skip = num("skip")?,
        "delay_ms" => rule.delay = Some(Duration::from_millis(u64::from(num("delay_ms")?))),
        "probability" => {
            rule.probability = v
                .trim()
                .parse()
                .map_err(|_| format!("probability: {v:?} is not a number (0 to 1)"))?
        }
        "message" => rule.message = Some(v.to_string()),
        "as" => {
            rule.deliver = FaultDelivery::parse(v.trim())
                .ok_or_else(|| format!("as: {v:?} must be task or soap"))?
        }
        "action" => {
            rule.action = FaultAction::parse(v.trim())
                .ok_or_else(|| format!("action: {v:?} must be fault, drop or drop_after"))?
        }
        _ => {
            return Err(format!(
                "{k:?} is not a rule key (count, skip, probability, delay_ms, message, as, action)"
            ));
        }
    }
    Ok(())
}

fn json_field(rule: &mut FaultRule, k: &str, v: &Value) -> Result<(), String> {
    let text = |what: &str| -> Result<Option<String>, String> {
        match v {
            Value::Null => Ok(None),
            Value::String(s) => Ok(Some(s.clone())),
            _ => Err(format!("{what}: must be a string")),
        }
    };
    let whole = |what: &str| -> Result<Option<u32>, String> {
        match v {
            Value::Null => Ok(None),
            _ => v
                .as_u64()
                .and_then(|n| u32::try_from(n).ok())
                .map(Some)
                .ok_or_else(|| format!("{what}: must be a whole number from 0 to {}", u32::MAX)),
        }
    };
    match k {
        "method" => rule.method = text("method")?.filter(|m| m != "*" && !m.is_empty()),
        "object_type" => rule.object_type = text("object_type")?,
        "object_name" => rule.object_name = text("object_name")?,
        "fault" => rule.fault = text("fault")?.unwrap_or_default(),
        "message" => rule.message = text("message")?,
        "probability" => {
            if !v.is_null() {
                rule.probability = v
                    .as_f64()
                    .ok_or("probability: must be a number from 0 to 1")?;
            }
        }
        "count" => rule.count = whole("count")?,
        "skip" => rule.skip = whole("skip")?.unwrap_or(0),
        "delay_ms" => {
            rule.delay = whole("delay_ms")?
                .filter(|&n| n > 0)
                .map(|n| Duration::from_millis(u64::from(n)))
        }
        "as" => {
            if let Some(s) = text("as")? {
                rule.deliver =
                    FaultDelivery::parse(&s).ok_or("as: must be \"task\" or \"soap\"")?;
            }
        }
        // `action` was read first (it picks the defaults); the others are
        // echoed back by a listing, accepted so a listed rule can be re-added.
        "action" | "id" | "hits" | "matched" | "spent" => {}
        _ => {
            return Err(format!(
                "{k}: not a rule field (method, object_type, object_name, fault, message, probability, count, skip, delay_ms, action, as)"
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issue_14_flag_with_count() {
        let r =
            FaultRule::parse("PowerOnVM_Task:InsufficientResourcesFault:count=1").expect("parses");
        assert_eq!(
            r,
            FaultRule::new("PowerOnVM_Task", "InsufficientResourcesFault").count(1)
        );
    }

    #[test]
    fn issue_14_flag_with_type_name_and_every_key() {
        let r = FaultRule::parse(
            "PowerOffVM_Task@VirtualMachine#DC0_H0_VM1:SystemError:skip=2,probability=0.5,delay_ms=30,as=soap,message=busy, try: later",
        )
        .expect("parses");
        assert_eq!(r.method.as_deref(), Some("PowerOffVM_Task"));
        assert_eq!(r.object_type.as_deref(), Some("VirtualMachine"));
        assert_eq!(r.object_name.as_deref(), Some("DC0_H0_VM1"));
        assert_eq!((r.skip, r.probability), (2, 0.5));
        assert_eq!(r.delay, Some(Duration::from_millis(30)));
        assert_eq!(r.deliver, FaultDelivery::Soap);
        assert_eq!(r.message.as_deref(), Some("busy, try: later"));
        let swapped = FaultRule::parse("*#DC0_H0_VM1@ManagedEntity:SystemError").expect("parses");
        assert_eq!(swapped.method, None);
        assert_eq!(swapped.object_type.as_deref(), Some("ManagedEntity"));
        assert_eq!(swapped.object_name.as_deref(), Some("DC0_H0_VM1"));
    }

    #[test]
    fn issue_14_flag_drop_actions() {
        assert_eq!(
            FaultRule::parse("PowerOnVM_Task:drop_after").expect("parses"),
            FaultRule::drop_after("PowerOnVM_Task")
        );
        assert_eq!(
            FaultRule::parse("*:drop:count=2").expect("parses"),
            FaultRule::drop("*").count(2)
        );
    }

    #[test]
    fn issue_14_flag_errors_name_the_field() {
        let says = |flag: &str, want: &str| {
            let e = FaultRule::parse(flag).expect_err(flag);
            assert!(e.contains(want), "{flag}: {e}");
        };
        says("PowerOnVM_Task", "expected METHOD");
        says("PowerOnVM_Task:NoSuchFault", "fault: \"NoSuchFault\"");
        says(
            "PowerOnVM_Task:VirtualMachineConfigSpec",
            "not a vim25 fault type",
        );
        says("PowerOnVM_Tsk:SystemError", "method: \"PowerOnVM_Tsk\"");
        says("PowerOnVM_Task@VM:SystemError", "object_type: \"VM\"");
        says(
            "RetrieveHardwareUptime:SystemError",
            "vcsim does not implement",
        );
        says("PowerOnVM_Task:SystemError:count=x", "count: \"x\"");
        says("PowerOnVM_Task:SystemError:probability=2", "probability: 2");
        says(
            "PowerOnVM_Task:SystemError:colour=red",
            "\"colour\" is not a rule key",
        );
        says("PowerOnVM_Task:SystemError:count", "expected key=value");
        says("PowerOnVM_Task:SystemError:as=mail", "as: \"mail\"");
    }

    #[test]
    fn issue_14_json_round_trip_and_errors() {
        let r = FaultRule::new("PowerOnVM_Task", "InsufficientResourcesFault")
            .on_type("ManagedEntity")
            .on_name("DC0_H0_VM0")
            .message("no room")
            .probability(0.25)
            .count(3)
            .skip(1)
            .delay(Duration::from_millis(5))
            .as_soap();
        assert_eq!(FaultRule::from_json(&r.to_json()).expect("round trip"), r);
        let bad = |v: Value, want: &str| {
            let e = FaultRule::from_json(&v).expect_err(want);
            assert!(e.contains(want), "{v}: {e}");
        };
        bad(json!([1]), "JSON object");
        bad(
            json!({"method": "PowerOnVM_Task"}),
            "fault: a fault type is required",
        );
        bad(
            json!({"fault": "SystemError", "probability": 1.5}),
            "probability: 1.5",
        );
        bad(
            json!({"fault": "SystemError", "probability": "high"}),
            "probability: must be",
        );
        bad(
            json!({"fault": "SystemError", "count": -1}),
            "count: must be",
        );
        bad(
            json!({"fault": "SystemError", "colour": 1}),
            "colour: not a rule field",
        );
        bad(json!({"fault": "Nope"}), "fault: \"Nope\"");
        bad(json!({"fault": 7}), "fault: must be a string");
        bad(json!({"action": "explode"}), "action: must be");
        assert_eq!(
            FaultRule::from_json(&json!({"method": "PowerOnVM_Task", "action": "drop"}))
                .expect("a drop needs no fault"),
            FaultRule::drop("PowerOnVM_Task")
        );
    }
}
