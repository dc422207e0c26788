//! A guard in front of rmcp's stdio transport. rmcp skips lines it cannot
//! parse (and logs them); JSON-RPC 2.0 asks for an answer instead, so a
//! client that sent garbage learns why nothing happened. This module reads
//! stdin itself, answers unparseable lines with `-32700 Parse error` and
//! non-JSON-RPC values with `-32600 Invalid Request`, forwards everything else
//! to rmcp unchanged, and is the single writer of stdout so replies from both
//! sources never interleave mid-line.

use serde_json::{Value as Json, json};
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader, DuplexStream};
use tokio::sync::mpsc;

/// Lines longer than this are refused whole (and skipped to their end), so a
/// hostile client cannot make the server buffer without bound.
pub const MAX_LINE: usize = 16 * 1024 * 1024;

const PIPE: usize = 256 * 1024;

/// What the guard decided about one input line.
#[derive(Debug, PartialEq)]
pub enum Verdict {
    /// A JSON-RPC message: hand it to rmcp.
    Forward,
    /// Blank: ignore.
    Skip,
    /// Answer the client with this error response.
    Reply(Json),
}

fn error(id: &Json, code: i64, message: &str) -> Json {
    json!({"jsonrpc": "2.0", "id": id, "error": {"code": code, "message": message}})
}

/// Classifies one line of input.
pub fn judge(line: &[u8]) -> Verdict {
    let text = match std::str::from_utf8(line) {
        Ok(t) => t.trim(),
        Err(_) => {
            return Verdict::Reply(error(
                &Json::Null,
                -32700,
                "Parse error: input is not UTF-8",
            ));
        }
    };
    if text.is_empty() {
        return Verdict::Skip;
    }
    let value: Json = match serde_json::from_str(text) {
        Ok(v) => v,
        Err(e) => return Verdict::Reply(error(&Json::Null, -32700, &format!("Parse error: {e}"))),
    };
    let Some(obj) = value.as_object() else {
        let why = if value.is_array() {
            "JSON-RPC batches are not supported by this protocol version; send one message per line"
        } else {
            "a JSON-RPC message must be a JSON object"
        };
        return Verdict::Reply(error(
            &Json::Null,
            -32600,
            &format!("Invalid Request: {why}"),
        ));
    };
    let id = obj.get("id").cloned().unwrap_or(Json::Null);
    if obj.get("jsonrpc").and_then(Json::as_str) != Some("2.0") {
        return Verdict::Reply(error(
            &id,
            -32600,
            "Invalid Request: \"jsonrpc\" must be \"2.0\"",
        ));
    }
    let is_request = obj.get("method").is_some_and(Json::is_string);
    let is_response = obj.contains_key("result") || obj.contains_key("error");
    if !is_request && !is_response {
        return Verdict::Reply(error(
            &id,
            -32600,
            "Invalid Request: a message needs a string \"method\" (or a result/error)",
        ));
    }
    if is_request
        && obj
            .get("params")
            .is_some_and(|p| !p.is_object() && !p.is_null())
    {
        return Verdict::Reply(error(
            &id,
            -32602,
            "Invalid params: \"params\" must be an object",
        ));
    }
    Verdict::Forward
}

/// Builds the (reader, writer) pair rmcp serves on, and spawns the tasks that
/// connect it to `input` and `output` (stdin/stdout in production).
pub fn guard<R, W>(input: R, output: W) -> (DuplexStream, DuplexStream)
where
    R: AsyncRead + Unpin + Send + 'static,
    W: AsyncWrite + Unpin + Send + 'static,
{
    let (to_rmcp, rmcp_in) = tokio::io::duplex(PIPE);
    let (rmcp_out, from_rmcp) = tokio::io::duplex(PIPE);
    let (errors_tx, errors_rx) = mpsc::channel::<Json>(64);
    tokio::spawn(read_input(input, to_rmcp, errors_tx));
    tokio::spawn(write_output(from_rmcp, errors_rx, output));
    (rmcp_in, rmcp_out)
}

async fn read_input<R: AsyncRead + Unpin>(
    input: R,
    mut to_rmcp: DuplexStream,
    errors: mpsc::Sender<Json>,
) {
    let mut reader = BufReader::new(input);
    let mut line = Vec::new();
    loop {
        line.clear();
        match read_bounded_line(&mut reader, &mut line).await {
            Ok(LineRead::Eof) => break,
            Ok(LineRead::TooLong) => {
                let msg = format!("Invalid Request: message longer than {MAX_LINE} bytes");
                if errors.send(error(&Json::Null, -32600, &msg)).await.is_err() {
                    break;
                }
            }
            Ok(LineRead::Line) => match judge(&line) {
                Verdict::Skip => {}
                Verdict::Reply(e) => {
                    tracing::warn!("refused a malformed message on stdin");
                    if errors.send(e).await.is_err() {
                        break;
                    }
                }
                Verdict::Forward => {
                    if !line.ends_with(b"\n") {
                        line.push(b'\n');
                    }
                    if to_rmcp.write_all(&line).await.is_err() {
                        break;
                    }
                }
            },
            Err(e) => {
                tracing::error!("reading stdin: {e}");
                break;
            }
        }
    }
    // Dropping `to_rmcp` tells rmcp the client has gone.
}

enum LineRead {
    Line,
    TooLong,
    Eof,
}

/// Reads one line into `buf`; past [`MAX_LINE`] it discards to the newline.
async fn read_bounded_line<R: AsyncRead + Unpin>(
    reader: &mut BufReader<R>,
    buf: &mut Vec<u8>,
) -> std::io::Result<LineRead> {
    let mut too_long = false;
    loop {
        let chunk = reader.fill_buf().await?;
        if chunk.is_empty() {
            return Ok(if too_long {
                LineRead::TooLong
            } else if buf.is_empty() {
                LineRead::Eof
            } else {
                LineRead::Line
            });
        }
        let (take, done) = match chunk.iter().position(|b| *b == b'\n') {
            Some(i) => (i + 1, true),
            None => (chunk.len(), false),
        };
        if !too_long {
            if buf.len() + take > MAX_LINE {
                too_long = true;
                buf.clear();
            } else {
                buf.extend_from_slice(&chunk[..take]);
            }
        }
        reader.consume(take);
        if done {
            return Ok(if too_long {
                LineRead::TooLong
            } else {
                LineRead::Line
            });
        }
    }
}

async fn write_output<W: AsyncWrite + Unpin>(
    from_rmcp: DuplexStream,
    mut errors: mpsc::Receiver<Json>,
    mut output: W,
) {
    let mut lines = BufReader::new(from_rmcp);
    let mut line = Vec::new();
    let mut rmcp_open = true;
    loop {
        tokio::select! {
            read = lines.read_until(b'\n', &mut line), if rmcp_open => {
                match read {
                    Ok(0) | Err(_) => rmcp_open = false,
                    Ok(_) => {
                        if output.write_all(&line).await.is_err() { return; }
                        line.clear();
                    }
                }
            }
            e = errors.recv() => match e {
                Some(e) => {
                    let mut bytes = e.to_string().into_bytes();
                    bytes.push(b'\n');
                    if output.write_all(&bytes).await.is_err() { return; }
                }
                None if !rmcp_open => break,
                None => {
                    // Input is done; drain what rmcp still has to say.
                    while let Ok(n) = lines.read_until(b'\n', &mut line).await {
                        if n == 0 { break; }
                        if output.write_all(&line).await.is_err() { return; }
                        line.clear();
                    }
                    break;
                }
            },
        }
        if output.flush().await.is_err() {
            return;
        }
    }
    let _ = output.flush().await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verdicts() {
        assert_eq!(judge(b"  \n"), Verdict::Skip);
        assert_eq!(
            judge(br#"{"jsonrpc":"2.0","id":1,"method":"ping"}"#),
            Verdict::Forward
        );
        assert_eq!(
            judge(br#"{"jsonrpc":"2.0","id":1,"result":{}}"#),
            Verdict::Forward
        );
        let code = |v: Verdict| match v {
            Verdict::Reply(e) => (e["error"]["code"].as_i64(), e["id"].clone()),
            other => panic!("expected a reply, got {other:?}"),
        };
        assert_eq!(code(judge(b"garbage{")), (Some(-32700), Json::Null));
        assert_eq!(code(judge(&[0xff, 0xfe])), (Some(-32700), Json::Null));
        assert_eq!(code(judge(b"[1,2]")), (Some(-32600), Json::Null));
        assert_eq!(
            code(judge(br#"{"id":4,"method":"ping"}"#)),
            (Some(-32600), json!(4))
        );
        assert_eq!(
            code(judge(br#"{"jsonrpc":"2.0","id":5}"#)),
            (Some(-32600), json!(5))
        );
        assert_eq!(
            code(judge(
                br#"{"jsonrpc":"2.0","id":6,"method":"tools/call","params":"x"}"#
            )),
            (Some(-32602), json!(6))
        );
    }

    #[tokio::test]
    async fn garbage_is_answered_and_good_lines_pass_through_in_order() {
        let input = b"garbage{\n{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}\n".to_vec();
        let (out_w, mut out_r) = tokio::io::duplex(4096);
        let (mut rmcp_in, mut rmcp_out) = guard(std::io::Cursor::new(input), out_w);
        let mut forwarded = String::new();
        tokio::io::AsyncReadExt::read_to_string(&mut rmcp_in, &mut forwarded)
            .await
            .unwrap_or_default();
        assert_eq!(
            forwarded,
            "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}\n"
        );
        rmcp_out
            .write_all(b"{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{}}\n")
            .await
            .unwrap_or_default();
        drop(rmcp_out);
        let mut written = String::new();
        tokio::io::AsyncReadExt::read_to_string(&mut out_r, &mut written)
            .await
            .unwrap_or_default();
        assert!(written.contains("-32700"), "{written}");
        assert!(written.contains("\"result\":{}"), "{written}");
        assert!(
            written
                .lines()
                .all(|l| serde_json::from_str::<Json>(l).is_ok()),
            "whole lines only: {written}"
        );
    }

    #[tokio::test]
    async fn overlong_lines_are_refused_and_skipped() {
        let mut input = vec![b'x'; MAX_LINE + 10];
        input.extend_from_slice(b"\n{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"ping\"}\n");
        let mut reader = BufReader::new(std::io::Cursor::new(input));
        let mut buf = vec![];
        assert!(matches!(
            read_bounded_line(&mut reader, &mut buf).await,
            Ok(LineRead::TooLong)
        ));
        buf.clear();
        assert!(matches!(
            read_bounded_line(&mut reader, &mut buf).await,
            Ok(LineRead::Line)
        ));
        assert_eq!(judge(&buf), Verdict::Forward);
    }
}
