//! FileManager and file contents: bytes uploaded (or set up) travel with
//! copies and moves, and a failed change keeps every file as it was, bytes
//! included. Read back through `Simulator::datastore_file_bytes`.

use crate::file_manager::{copy_or_move, free, store, two_datastores};

#[tokio::test]
async fn issue_11_uploaded_bytes_travel_with_copies_and_moves_and_a_failed_force_keeps_the_old_file()
 {
    let (sim, c) = two_datastores("bytes").await;
    let local = store(&sim, "LocalDS_0");
    let small = store(&sim, "Small");
    sim.write_datastore_file(&local, "iso/notes.txt", b"some notes")
        .expect("set-up writes");
    let (fault, _) = copy_or_move(
        &sim,
        &c,
        "CopyDatastoreFile_Task",
        "[LocalDS_0] iso/notes.txt",
        "[Small] notes.txt",
        false,
    )
    .await;
    assert_eq!(fault, "");
    let (fault, _) = copy_or_move(
        &sim,
        &c,
        "MoveDatastoreFile_Task",
        "[LocalDS_0] iso/notes.txt",
        "[Small] moved.txt",
        false,
    )
    .await;
    assert_eq!(fault, "");
    assert_eq!(
        sim.datastore_file_bytes(&small, "notes.txt").as_deref(),
        Some(&b"some notes"[..])
    );
    assert_eq!(
        sim.datastore_file_bytes(&small, "moved.txt").as_deref(),
        Some(&b"some notes"[..])
    );
    assert!(sim.datastore_file(&local, "iso/notes.txt").is_none());
    // Forcing a copy that does not fit fails as a whole: the file it would
    // have replaced is still there, bytes and all.
    let free0 = free(&sim, "Small");
    let (fault, _) = copy_or_move(
        &sim,
        &c,
        "CopyDatastoreFile_Task",
        "[LocalDS_0] iso/ubuntu.iso",
        "[Small] big.iso",
        false,
    )
    .await;
    assert_eq!(fault, "");
    let (fault, msg) = copy_or_move(
        &sim,
        &c,
        "CopyDatastoreFile_Task",
        "[LocalDS_0] iso/ubuntu.iso",
        "[Small] moved.txt",
        true,
    )
    .await;
    assert_eq!(fault, "NoDiskSpace", "{msg}");
    assert_eq!(
        sim.datastore_file_bytes(&small, "moved.txt").as_deref(),
        Some(&b"some notes"[..])
    );
    assert_eq!(free(&sim, "Small"), free0 - (2 << 30));
}
