//! mcvsphere
