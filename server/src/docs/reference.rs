//! The reference pages that are not about one tool: permission levels,
//! groups and the tool → level table; every setting; the resources, read
//! from a fresh simulator.

use std::fmt::Write as _;

use super::tool_pages::tool_link;
use super::{CONTENT, Page, cell, frontmatter, pretty, sim_state};
use crate::config::SETTINGS;
use crate::rbac::{self, Permission};
use crate::{resources, tools};

/// What each level covers; a `match` so a new level cannot go undocumented.
fn level_meaning(p: Permission) -> &'static str {
    match p {
        Permission::ReadOnly => {
            "inventory, state, statistics, events, listings, screenshots; all resources"
        }
        Permission::PowerOps => {
            "power on/off, reset, suspend, guest shutdown/reboot/standby, snapshots, connecting a NIC"
        }
        Permission::VmLifecycle => {
            "creating, cloning, deleting and reconfiguring VMs; disks, NICs, serial ports, templates, folders, datastore files, OVF"
        }
        Permission::HostAdmin => {
            "host maintenance mode, reboot/shutdown, NTP, service start-up policy"
        }
        Permission::FullAdmin => {
            "guest operations (commands, guest files) and starting/stopping host services"
        }
    }
}

pub(super) fn permissions_page() -> Page {
    let mut s = frontmatter(
        "Permission table",
        "Permission levels, the groups that grant them, and which tool needs which level.",
    );
    s.push_str(
        "How callers get levels (groups, `RBAC_GROUP_MAP`, `--role`) is explained in \
         [Access control](/deployment/access-control/).\n\n## Levels\n\n\
         | level | what it covers |\n|---|---|\n",
    );
    for p in Permission::ALL {
        let _ = writeln!(s, "| `{}` | {} |", p.as_str(), level_meaning(p));
    }
    s.push_str("\n## Groups\n\n| group | levels granted |\n|---|---|\n");
    for (g, levels) in rbac::GROUPS {
        let ls: Vec<String> = levels.iter().map(|p| format!("`{}`", p.as_str())).collect();
        let _ = writeln!(s, "| `{g}` | {} |", ls.join(", "));
    }
    let total = rbac::TABLE.len();
    let have = tools::registry().len();
    let _ = writeln!(
        s,
        "\n## Tools\n\nAll {total} contract tools, by level then name; {have} are \
         available in this build (linked). A tool that is not in this table can be \
         called by no one.\n\n| tool | level | available |\n|---|---|---|"
    );
    let mut rows: Vec<(Permission, &str)> = rbac::TABLE.iter().map(|(n, p)| (*p, *n)).collect();
    rows.sort_unstable();
    for (p, n) in rows {
        let avail = tools::find(n).map_or("not yet".to_string(), |d| {
            format!("[yes]({})", tool_link(d))
        });
        let _ = writeln!(s, "| `{n}` | `{}` | {avail} |", p.as_str());
    }
    Page {
        path: format!("{CONTENT}/reference/permissions.md"),
        text: s,
    }
}

/// Settings grouped by what they configure, by environment-variable prefix.
fn setting_group(env: &str) -> &'static str {
    if env.starts_with("VCENTER_") {
        "vCenter connection"
    } else if env.starts_with("OAUTH_") {
        "OAuth"
    } else if env.starts_with("MCP_") {
        "MCP transport and HTTP security"
    } else if env.starts_with("RBAC_") || env == "MCVSPHERE_ROLE" || env.starts_with("AUDIT") {
        "Access control and audit"
    } else {
        "Logging and other"
    }
}

pub(super) fn settings_page() -> Page {
    let mut s = frontmatter(
        "All settings",
        "Every environment variable, config-file key and flag mcvsphere reads.",
    );
    s.push_str(
        "Each setting can be given, from lowest to highest precedence, as a key in the YAML \
         config file (`--config FILE` or `MCVSPHERE_CONFIG`), in a `.env` file, as an \
         environment variable, or — where there is one — as a command-line flag. \
         `mcvsphere settings --format text` prints the same table.\n\n",
    );
    let mut groups: Vec<(&str, Vec<&crate::config::SettingInfo>)> = vec![];
    for st in SETTINGS {
        let g = setting_group(st.env);
        match groups.iter_mut().find(|(n, _)| *n == g) {
            Some((_, v)) => v.push(st),
            None => groups.push((g, vec![st])),
        }
    }
    for (g, list) in groups {
        let _ = writeln!(
            s,
            "## {g}\n\n| variable | config key | flag | type | default | description |\n|---|---|---|---|---|---|"
        );
        for st in list {
            let secret = if st.secret {
                " *Secret: never logged.*"
            } else {
                ""
            };
            let _ = writeln!(
                s,
                "| `{}` | `{}` | {} | {} | {} | {}{secret} |",
                st.env,
                st.key,
                st.flag.map_or("—".into(), |f| format!("`{f}`")),
                st.ty,
                st.default.map_or("—".into(), |d| format!("`{}`", cell(d))),
                cell(st.description)
            );
        }
        s.push('\n');
    }
    Page {
        path: format!("{CONTENT}/configuration/settings.md"),
        text: s,
    }
}

pub(super) async fn resources_page() -> anyhow::Result<Page> {
    let mut s = frontmatter(
        "Resources",
        "The MCP resources mcvsphere serves: inventory listings and datastore contents.",
    );
    s.push_str(
        "Reading any resource needs the `read_only` level; callers without it get an empty \
         `resources/list`. Examples are read from the built-in simulator's default \
         inventory.\n\n| URI | name | what it returns |\n|---|---|---|\n",
    );
    for r in resources::RESOURCES {
        let _ = writeln!(
            s,
            "| `{}` | `{}` | {} |",
            r.uri,
            r.name,
            cell(r.description)
        );
    }
    let _ = writeln!(
        s,
        "| `{}` (template) | `{}` | {} |\n",
        resources::DATASTORE_TEMPLATE,
        resources::DATASTORE_TEMPLATE_NAME,
        cell(resources::DATASTORE_TEMPLATE_DESCRIPTION)
    );
    let (sim, ctx) = sim_state().await?;
    let mut uris: Vec<String> = resources::RESOURCES.iter().map(|r| r.uri.into()).collect();
    uris.push(resources::DATASTORE_TEMPLATE.replace("{datastore_name}", "LocalDS_0"));
    for uri in uris {
        let (lang, body) = match resources::read(&ctx, &uri).await {
            Ok(mut v) => {
                super::tool_pages::steady_times(&mut v);
                ("json", pretty(&v))
            }
            Err(resources::ReadError::NotFound(m) | resources::ReadError::Failed(m)) => {
                ("text", format!("The simulator answers with an error: {m}"))
            }
        };
        let _ = writeln!(s, "## `{uri}`\n\n```{lang}\n{body}\n```\n");
    }
    ctx.client.logout().await;
    sim.shutdown().await;
    Ok(Page {
        path: format!("{CONTENT}/reference/resources.md"),
        text: s,
    })
}
