//! mcvsphere: an MCP server for VMware vSphere, a drop-in for the Python
//! mcvsphere 0.2.3 (same tool names, parameters, resources and settings).
//!
//! Code map: [`config`] and [`cli`] (settings), [`vsphere`] (the vCenter
//! client: session, PropertyCollector, tasks), [`tools`] (the registry and
//! one module per tool family), [`views`] (inventory reads shared by tools
//! and resources), [`resources`], [`mcp`] (the rmcp handler),
//! [`transport`] (stdio, streamable HTTP), [`simulator`] (`--simulator`),
//! [`app`] (start-up).

pub mod app;
pub mod audit;
pub mod auth;
pub mod cli;
pub mod config;
pub mod docs;
pub mod error;
pub mod identity;
pub mod jsonrpc_guard;
pub mod logging;
pub mod mcp;
pub mod ops;
pub mod permission;
pub mod rate_limit;
pub mod rbac;
pub mod resources;
pub mod shutdown;
pub mod simulator;
pub mod stdio_guard;
pub mod tools;
pub mod transport;
pub mod views;
pub mod vsphere;
