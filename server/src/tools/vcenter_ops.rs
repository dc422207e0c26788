//! vcenter_ops: the family's table. Its tools live by concern: folders
//! ([`super::folders`]), templates ([`super::templates`]), migration
//! ([`super::migration`]), clusters ([`super::clusters`]) and recent
//! events and tasks ([`super::recent`]).

use super::ToolDef;
use super::{clusters, folders, migration, recent, templates};

pub static TOOLS: &[ToolDef] = &[
    folders::LIST_FOLDERS,
    folders::CREATE_FOLDER,
    folders::MOVE_VM_TO_FOLDER,
    templates::CONVERT_TO_TEMPLATE,
    templates::CONVERT_TO_VM,
    templates::DEPLOY_FROM_TEMPLATE,
    migration::STORAGE_VMOTION,
    migration::MOVE_VM_DISK,
    clusters::LIST_CLUSTERS,
    clusters::GET_DRS_RECOMMENDATIONS,
    recent::LIST_RECENT_EVENTS,
    recent::LIST_RECENT_TASKS,
];
