//! The MCP face of the server (rmcp `ServerHandler`): tools from the
//! registry, the six resources, and an (empty) prompt list. Every tool call
//! and resource read passes the RBAC check ([`crate::rbac`]) first and leaves
//! an audit record ([`crate::audit`]).

use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, ContentBlock, Implementation,
    ListPromptsResult, ListResourceTemplatesResult, ListResourcesResult, ListToolsResult,
    PaginatedRequestParams, ProgressNotificationParam, ReadResourceRequestParams,
    ReadResourceResponse, ReadResourceResult, Resource, ResourceContents, ResourceTemplate,
    ServerCapabilities, ServerConfig, Tool,
};
use rmcp::service::RequestContext;
use rmcp::{ErrorData as McpError, RoleServer, ServerHandler};
use serde_json::{Value as Json, json};

use std::sync::Arc;

use crate::audit::{AuditLog, Call, Outcome};
use crate::identity::Identity;
use crate::rbac::{Caller, Channel, Policy};
use crate::resources::{self, ReadError};
use crate::tools::{self, Output, Returns, ToolDef};

const INSTRUCTIONS: &str = "mcvsphere manages a VMware vSphere environment (vCenter or ESXi). \
Use list_vms to see the virtual machines and get_vm_info for one VM's details; power and \
lifecycle tools take the VM's inventory name. Resources esxi://vms, esxi://hosts, \
esxi://datastores, esxi://networks and esxi://clusters list the inventory.";

/// What the MCP layer serves with: the tools' context (vSphere client and
/// defaults), and the policy and audit log every call passes through before
/// and after a handler runs.
#[derive(Debug)]
pub struct AppState {
    pub tools: tools::Ctx,
    pub rbac: Policy,
    pub audit: AuditLog,
    /// Tool calls per caller per minute ([`crate::rate_limit`]).
    pub rate: crate::rate_limit::RateLimiter,
}

/// The state all MCP sessions share (and so one vCenter session).
pub type App = Arc<AppState>;

/// One MCP session's handler.
#[derive(Clone, Debug)]
pub struct McpServer {
    ctx: App,
}

impl McpServer {
    pub fn new(ctx: App) -> Self {
        McpServer { ctx }
    }

    /// Who sent this request. Over HTTP rmcp hands us the request's parts,
    /// where the auth layer left an [`Identity`] if it authenticated one; no
    /// parts means stdio. Either way, no identity means the configured role.
    fn caller(&self, context: &RequestContext<RoleServer>) -> Caller {
        let parts = context.extensions.get::<axum::http::request::Parts>();
        let identity = parts.and_then(|p| p.extensions.get::<Identity>());
        let channel = if parts.is_some() {
            Channel::Http
        } else {
            Channel::Stdio
        };
        self.ctx.rbac.caller(identity, channel)
    }

    /// Resource lists are filtered like `tools/list`: all or nothing, as
    /// every resource needs `read_only`.
    fn may_see_resources(&self, context: &RequestContext<RoleServer>) -> bool {
        let caller = self.caller(context);
        !self.ctx.rbac.filter_tools() || self.ctx.rbac.check_resource(&caller, "").is_ok()
    }
}

/// Turns a tool's outcome into the MCP result shape FastMCP produces.
pub fn tool_result(def: &ToolDef, out: Result<Output, crate::error::ToolError>) -> CallToolResult {
    match out {
        Err(e) => CallToolResult::error(vec![ContentBlock::text(e.0)]),
        Ok(Output::Text(s)) => {
            let mut r = CallToolResult::success(vec![ContentBlock::text(s.clone())]);
            r.structured_content = Some(json!({ "result": s }));
            r
        }
        Ok(Output::Json(v)) => {
            let text = serde_json::to_string_pretty(&v).unwrap_or_default();
            let structured = match (def.returns, v) {
                (Returns::Object, v @ Json::Object(_)) => v,
                (_, v) => json!({ "result": v }),
            };
            let mut r = CallToolResult::success(vec![ContentBlock::text(text)]);
            r.structured_content = Some(structured);
            r
        }
        Ok(Output::Image(v)) => {
            let mut content = vec![];
            if let Some(data) = v.get("image_base64").and_then(Json::as_str) {
                let mime = v
                    .get("content_type")
                    .and_then(Json::as_str)
                    .unwrap_or("image/png");
                content.push(ContentBlock::image(data, mime));
            }
            // The text block describes the picture; its bytes are in the
            // image block and the structured content already.
            let mut described = v.clone();
            if let Some(m) = described.as_object_mut() {
                m.remove("image_base64");
            }
            content.push(ContentBlock::text(
                serde_json::to_string_pretty(&described).unwrap_or_default(),
            ));
            let mut r = CallToolResult::success(content);
            r.structured_content = Some(v);
            r
        }
    }
}

/// What a tool may use of the request it serves: progress notifications
/// when the client sent a progress token, and the request's cancellation.
fn call_env(context: &RequestContext<RoleServer>) -> tools::call_env::CallEnv {
    use futures::FutureExt;
    let progress = context.meta.get_progress_token().map(|token| {
        let peer = context.peer.clone();
        let send: tools::call_env::ProgressFn = Arc::new(move |done, total, message| {
            let (peer, token) = (peer.clone(), token.clone());
            Box::pin(async move {
                let mut p = ProgressNotificationParam::new(token, done).with_message(message);
                if let Some(t) = total {
                    p = p.with_total(t);
                }
                if let Err(e) = peer.notify_progress(p).await {
                    tracing::debug!(error = %e, "cannot send a progress notification");
                }
            })
        });
        send
    });
    let ct = context.ct.clone();
    tools::call_env::CallEnv {
        progress,
        cancelled: Some(async move { ct.cancelled().await }.boxed().shared()),
    }
}

impl ServerHandler for McpServer {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(
            ServerCapabilities::builder()
                .enable_tools()
                .enable_resources()
                .enable_prompts()
                .build(),
        )
        .with_server_info(
            Implementation::new("mcvsphere", env!("CARGO_PKG_VERSION"))
                .with_title("mcvsphere — VMware vSphere"),
        )
        .with_instructions(INSTRUCTIONS)
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, McpError> {
        let caller = self.caller(&context);
        let tools: Vec<Tool> = tools::registry()
            .iter()
            .filter(|t| self.ctx.rbac.visible(&caller, t.name))
            .map(|t| t.to_mcp())
            .collect();
        Ok(ListToolsResult::with_all_items(tools))
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, McpError> {
        let started = std::time::Instant::now();
        let name = request.name.to_string();
        let caller = self.caller(&context);
        let call = Call {
            request_id: context.id.to_string(),
            caller: &caller,
            tool: Some(&name),
            resource: None,
            arguments: request.arguments.as_ref(),
        };
        let audit = &self.ctx.audit;
        let Some(def) = tools::find(&name) else {
            let msg = format!("Unknown tool '{}'", tools::echo::quote(&name));
            audit.call(&call, Outcome::Error, Some(&msg), Some(started.elapsed()));
            return Err(McpError::invalid_params(msg, None));
        };
        // Before RBAC: a runaway loop of refused calls is a runaway loop too.
        if let Err(limited) = self.ctx.rate.check(&caller.user) {
            tracing::info!(tool = %name, user = %caller.user, "tool call rate-limited");
            audit.call(
                &call,
                Outcome::RateLimited,
                Some(&limited.0),
                Some(started.elapsed()),
            );
            return Ok(CallToolResult::error(vec![ContentBlock::text(limited.0)]).into());
        }
        if let Err(denied) = self.ctx.rbac.check(&caller, &name) {
            tracing::info!(tool = %name, user = %caller.user, "tool call denied");
            audit.call(
                &call,
                Outcome::Denied,
                Some(&denied.message),
                Some(started.elapsed()),
            );
            return Ok(CallToolResult::error(vec![ContentBlock::text(denied.message)]).into());
        }
        let args = request
            .arguments
            .clone()
            .map(Json::Object)
            .unwrap_or(Json::Null);
        tracing::debug!(tool = %name, "tool call");
        let env = call_env(&context);
        let out = tools::call_env::scope(env, tools::call(&self.ctx.tools, &name, args)).await;
        match &out {
            Ok(_) => audit.call(&call, Outcome::Ok, None, Some(started.elapsed())),
            Err(e) => {
                tracing::info!(tool = %name, error = %e, "tool failed");
                audit.call(&call, Outcome::Error, Some(&e.0), Some(started.elapsed()));
            }
        }
        Ok(tool_result(def, out).into())
    }

    async fn list_resources(
        &self,
        _request: Option<PaginatedRequestParams>,
        context: RequestContext<RoleServer>,
    ) -> Result<ListResourcesResult, McpError> {
        if !self.may_see_resources(&context) {
            return Ok(ListResourcesResult::default());
        }
        let list = resources::RESOURCES
            .iter()
            .map(|r| {
                Resource::new(r.uri, r.name)
                    .with_title(r.title)
                    .with_description(r.description)
                    .with_mime_type("application/json")
            })
            .collect();
        Ok(ListResourcesResult::with_all_items(list))
    }

    async fn list_resource_templates(
        &self,
        _request: Option<PaginatedRequestParams>,
        context: RequestContext<RoleServer>,
    ) -> Result<ListResourceTemplatesResult, McpError> {
        if !self.may_see_resources(&context) {
            return Ok(ListResourceTemplatesResult::default());
        }
        Ok(ListResourceTemplatesResult::with_all_items(vec![
            ResourceTemplate::new(
                resources::DATASTORE_TEMPLATE,
                resources::DATASTORE_TEMPLATE_NAME,
            )
            .with_title("Datastore contents")
            .with_description(resources::DATASTORE_TEMPLATE_DESCRIPTION)
            .with_mime_type("application/json"),
        ]))
    }

    async fn read_resource(
        &self,
        request: ReadResourceRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<ReadResourceResponse, McpError> {
        let uri = request.uri.clone();
        let caller = self.caller(&context);
        if let Err(denied) = self.ctx.rbac.check_resource(&caller, &uri) {
            let call = Call {
                request_id: context.id.to_string(),
                caller: &caller,
                tool: None,
                resource: Some(&uri),
                arguments: None,
            };
            self.ctx
                .audit
                .call(&call, Outcome::Denied, Some(&denied.message), None);
            return Err(McpError::invalid_request(denied.message, None));
        }
        match resources::read(&self.ctx.tools, &uri).await {
            Ok(v) => {
                let text = serde_json::to_string_pretty(&v).unwrap_or_default();
                Ok(ReadResourceResult::new(vec![
                    ResourceContents::text(text, uri).with_mime_type("application/json"),
                ])
                .into())
            }
            Err(ReadError::NotFound(m)) => Err(McpError::resource_not_found(m, None)),
            Err(ReadError::Failed(m)) => Err(McpError::internal_error(m, None)),
        }
    }

    async fn list_prompts(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListPromptsResult, McpError> {
        Ok(ListPromptsResult::default())
    }
}
