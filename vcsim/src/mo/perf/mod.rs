//! PerformanceManager's data: the counter table (`counters.rs`) and sample
//! generation (`sample.rs`); the handlers are in `performance_manager.rs`.

pub(crate) mod counters;
pub(crate) mod sample;
