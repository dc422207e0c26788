//! The SOAP decoder takes arbitrary bytes and mutated real captures without
//! panicking (issue 14). `MCVSPHERE_FUZZ_CASES` sets the case count
//! (default 128; 100000 for a long local run).

use proptest::prelude::*;
use vim25::{MoRef, decode_request, decode_response};

use crate::fuzz_support::{apply, cases, op, requests, responses};

const METHODS: &[&str] = &[
    "RetrievePropertiesEx",
    "RetrieveProperties",
    "Login",
    "PowerOnVM_Task",
    "ReconfigVM_Task",
    "WaitForUpdatesEx",
    "RetrieveServiceContent",
    "Fetch",
];

fn vm() -> MoRef {
    MoRef::new("VirtualMachine", "vm-42")
}

fn root() -> MoRef {
    MoRef::new("Folder", "group-d1")
}

/// Every decoder on `bytes`: results are free, panics are not.
fn decode_all(bytes: &[u8]) {
    let _ = decode_request(bytes);
    for m in METHODS {
        let _ = decode_response(m, bytes);
    }
}

#[test]
fn issue_14_captures_decode_unmutated() {
    for (m, xml) in requests(&vm(), &root()) {
        let r = decode_request(&xml).unwrap_or_else(|e| panic!("{m}: {e}"));
        assert_eq!(r.method, m);
    }
    for (m, xml) in responses(&vm()) {
        let r = decode_response(&m, &xml).unwrap_or_else(|e| panic!("{m}: {e}"));
        // The fault capture decodes as the fault, the others as values.
        assert_eq!(r.is_err(), xml.windows(5).any(|w| w == b"Fault"), "{m}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases()))]

    #[test]
    fn issue_14_decoders_never_panic_on_arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        decode_all(&bytes);
    }

    #[test]
    fn issue_14_decoders_never_panic_on_mutated_requests(pick in any::<prop::sample::Index>(), ops in proptest::collection::vec(op(), 1..8)) {
        let caps = requests(&vm(), &root());
        let (_, xml) = &caps[pick.index(caps.len())];
        decode_all(&apply(xml, &ops));
    }

    #[test]
    fn issue_14_decoders_never_panic_on_mutated_responses(pick in any::<prop::sample::Index>(), ops in proptest::collection::vec(op(), 1..8)) {
        let caps = responses(&vm());
        let (_, xml) = &caps[pick.index(caps.len())];
        decode_all(&apply(xml, &ops));
    }

    #[test]
    fn issue_14_decoders_refuse_deep_nesting_cleanly(depth in 100usize..20_000, pick in any::<prop::sample::Index>()) {
        let caps = requests(&vm(), &root());
        let (_, xml) = &caps[pick.index(caps.len())];
        let text = String::from_utf8_lossy(xml);
        // Deep inside the call element: far past the parser's depth limit.
        let at = text.find("<_this").unwrap_or(0);
        let nested = format!("{}{}{}{}", &text[..at], "<specSet>".repeat(depth), "</specSet>".repeat(depth), &text[at..]);
        let r = decode_request(nested.as_bytes());
        if depth > 200 {
            prop_assert!(r.is_err(), "{depth} levels accepted");
        }
        decode_all(nested.as_bytes());
    }
}
