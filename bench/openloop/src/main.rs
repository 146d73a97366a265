//! Fixed-rate (open-loop) load for `bench/latency.sh`.
//!
//! wrk keeps every connection busy, so its latencies are those of a
//! saturated server, and a stall delays only the requests in flight: the
//! ones that would have arrived meanwhile are never sent. Here request `i`
//! is due at `start + i / rate` whatever happened before, and its latency
//! counts from that moment, so time a request spends waiting for a free
//! connection counts too (wrk2's correction for coordinated omission).
//!
//! Requests are those of bench/wrk (same tables, keys and items; see
//! common.lua): GetItem, PutItem and UpdateItemSetIf.
//!
//!     openloop HOST:PORT OP RATE SECONDS [CONNECTIONS]
//!
//! `send_lag` is how late each request left this client (its latency
//! includes that): late because every connection was still waiting for the
//! server, or because this client's own CPU was busy. A high one next to
//! an idle server CPU means the client, not the server, set the tail.
//!
//! Environment: BENCH_TABLE, BENCH_ITEMS, BENCH_ITEM_BYTES, BENCH_RUN_ID,
//! as for the wrk scripts. Prints one `BENCH_RESULT` line like theirs.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

struct Settings {
    address: String,
    op: Op,
    rate: f64,
    duration: Duration,
    connections: usize,
    table: String,
    items: u64,
    payload: String,
    run_id: String,
}

#[derive(Clone, Copy)]
enum Op {
    GetItem,
    PutItem,
    UpdateItemSetIf,
}

impl Op {
    fn parse(name: &str) -> Option<Op> {
        match name {
            "GetItem" => Some(Op::GetItem),
            "PutItem" => Some(Op::PutItem),
            "UpdateItemSetIf" => Some(Op::UpdateItemSetIf),
            _ => None,
        }
    }

    fn target(self) -> &'static str {
        match self {
            Op::GetItem => "GetItem",
            Op::PutItem => "PutItem",
            Op::UpdateItemSetIf => "UpdateItem",
        }
    }
}

fn env_or(name: &str, default: &str) -> String {
    std::env::var(name)
        .ok()
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| default.to_string())
}

/// The filler of common.lua's make_payload: "abcdefghij" repeated.
fn payload(item_bytes: usize) -> String {
    let n = item_bytes.saturating_sub(50).max(10);
    "abcdefghij".repeat(n.div_ceil(10))[..n].to_string()
}

fn body(s: &Settings, connection: usize, seq: u64, rng: &mut impl Rng) -> String {
    let key = |n: u64| format!(r#"{{"pk":{{"S":"item#{n}"}}}}"#);
    match s.op {
        Op::GetItem => format!(
            r#"{{"TableName":"{}","Key":{}}}"#,
            s.table,
            key(rng.random_range(0..s.items))
        ),
        Op::PutItem => format!(
            r#"{{"TableName":"{}","Item":{{"pk":{{"S":"put#{}#{}#{}"}},"n":{{"N":"{}"}},"name":{{"S":"user {}"}},"payload":{{"S":"{}"}}}}}}"#,
            s.table, s.run_id, connection, seq, seq, seq, s.payload
        ),
        Op::UpdateItemSetIf => format!(
            r#"{{"TableName":"{}","Key":{},"UpdateExpression":"SET v = :v","ConditionExpression":"attribute_exists(pk)","ExpressionAttributeValues":{{":v":{{"S":"value-{:03}-{:06}"}}}}}}"#,
            s.table,
            key(rng.random_range(0..s.items)),
            connection % 1000,
            seq % 1_000_000
        ),
    }
}

fn request(s: &Settings, body: &str) -> Vec<u8> {
    format!(
        "POST / HTTP/1.1\r\nHost: {}\r\nContent-Type: application/x-amz-json-1.0\r\n\
         X-Amz-Target: DynamoDB_20120810.{}\r\nX-Amz-Date: 20260101T000000Z\r\n\
         Authorization: AWS4-HMAC-SHA256 Credential=x/20260101/us-east-1/dynamodb/aws4_request, \
         SignedHeaders=host, Signature=0\r\nContent-Length: {}\r\n\r\n{}",
        s.address,
        s.op.target(),
        body.len(),
        body
    )
    .into_bytes()
}

/// Reads one response; returns its status and body.
async fn read_response(
    stream: &mut TcpStream,
    buffer: &mut Vec<u8>,
) -> std::io::Result<(u16, Vec<u8>)> {
    let bad = |what: &str| std::io::Error::new(std::io::ErrorKind::InvalidData, what.to_string());
    loop {
        if let Some(end) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = std::str::from_utf8(&buffer[..end]).map_err(|_| bad("header"))?;
            let status: u16 = head
                .split(' ')
                .nth(1)
                .and_then(|v| v.parse().ok())
                .ok_or_else(|| bad("status line"))?;
            let length: usize = head
                .lines()
                .find_map(|line| {
                    let (name, value) = line.split_once(':')?;
                    name.eq_ignore_ascii_case("content-length")
                        .then(|| value.trim().parse().ok())?
                })
                .ok_or_else(|| bad("no content-length"))?;
            let total = end + 4 + length;
            while buffer.len() < total {
                read_more(stream, buffer).await?;
            }
            let body = buffer[end + 4..total].to_vec();
            buffer.drain(..total);
            return Ok((status, body));
        }
        read_more(stream, buffer).await?;
    }
}

async fn read_more(stream: &mut TcpStream, buffer: &mut Vec<u8>) -> std::io::Result<()> {
    let mut chunk = [0u8; 16384];
    let n = stream.read(&mut chunk).await?;
    if n == 0 {
        return Err(std::io::ErrorKind::UnexpectedEof.into());
    }
    buffer.extend_from_slice(&chunk[..n]);
    Ok(())
}

#[derive(Default)]
struct Tally {
    latencies_us: Vec<u64>,
    send_lag_us: Vec<u64>,
    responses: u64,
    non200: u64,
    misses: u64,
    errors: u64,
    first_error: Option<String>,
}

/// One connection: takes the next due request, waits for its moment (by
/// yielding: the runtime's timer ticks in milliseconds), sends it and
/// records the time from the moment it was due to its response.
async fn connection(
    s: Arc<Settings>,
    index: usize,
    next: Arc<AtomicU64>,
    start: Instant,
    tally: Arc<Mutex<Tally>>,
) {
    let mut local = Tally::default();
    let mut rng = StdRng::from_rng(&mut rand::rng());
    let mut stream = match TcpStream::connect(&s.address).await {
        Ok(stream) => stream,
        Err(e) => {
            local.errors += 1;
            local.first_error = Some(format!("connect: {e}"));
            merge(&tally, local);
            return;
        }
    };
    let _ = stream.set_nodelay(true);
    let mut buffer = Vec::with_capacity(65536);
    let mut seq = 0u64;
    loop {
        let i = next.fetch_add(1, Ordering::Relaxed);
        let due = start + Duration::from_secs_f64(i as f64 / s.rate);
        if due >= start + s.duration {
            break;
        }
        while Instant::now() < due {
            tokio::task::yield_now().await;
        }
        local.send_lag_us.push(due.elapsed().as_micros() as u64);
        seq += 1;
        let message = request(&s, &body(&s, index, seq, &mut rng));
        let outcome = async {
            stream.write_all(&message).await?;
            read_response(&mut stream, &mut buffer).await
        }
        .await;
        local.latencies_us.push(due.elapsed().as_micros() as u64);
        if outcome.is_ok() {
            local.responses += 1;
        }
        match outcome {
            Ok((200..=299, body)) => {
                if matches!(s.op, Op::GetItem) && !contains(&body, b"\"Item\"") {
                    local.misses += 1;
                }
            }
            Ok((status, body)) => {
                let conditional = contains(&body, b"ConditionalCheckFailed");
                if conditional && matches!(s.op, Op::UpdateItemSetIf) {
                    local.misses += 1;
                } else {
                    local.non200 += 1;
                    local.first_error.get_or_insert_with(|| {
                        format!(
                            "{status} {}",
                            String::from_utf8_lossy(&body[..body.len().min(200)])
                        )
                    });
                }
            }
            Err(e) => {
                local.errors += 1;
                local.first_error.get_or_insert_with(|| e.to_string());
                break;
            }
        }
    }
    merge(&tally, local);
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

fn merge(tally: &Mutex<Tally>, local: Tally) {
    let mut t = tally.lock().unwrap_or_else(|p| p.into_inner());
    t.latencies_us.extend(local.latencies_us);
    t.send_lag_us.extend(local.send_lag_us);
    t.responses += local.responses;
    t.non200 += local.non200;
    t.misses += local.misses;
    t.errors += local.errors;
    if t.first_error.is_none() {
        t.first_error = local.first_error;
    }
}

fn percentile(sorted: &[u64], p: f64) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn settings() -> Result<Settings, String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let usage =
        "usage: openloop HOST:PORT GetItem|PutItem|UpdateItemSetIf RATE SECONDS [CONNECTIONS]";
    if args.len() < 4 || args.len() > 5 {
        return Err(usage.into());
    }
    let number = |v: &str, what: &str| {
        v.parse::<f64>()
            .ok()
            .filter(|x| *x > 0.0)
            .ok_or(format!("{what}: {v}"))
    };
    let items: u64 = env_or("BENCH_ITEMS", "10000")
        .parse()
        .map_err(|_| "BENCH_ITEMS")?;
    Ok(Settings {
        address: args[0].clone(),
        op: Op::parse(&args[1]).ok_or_else(|| format!("unknown operation {}\n{usage}", args[1]))?,
        rate: number(&args[2], "rate")?,
        duration: Duration::from_secs_f64(number(&args[3], "seconds")?),
        connections: match args.get(4) {
            Some(v) => number(v, "connections")? as usize,
            None => 64,
        },
        table: env_or("BENCH_TABLE", "bench"),
        items: items.max(1),
        payload: payload(
            env_or("BENCH_ITEM_BYTES", "200")
                .parse()
                .map_err(|_| "BENCH_ITEM_BYTES")?,
        ),
        run_id: env_or(
            "BENCH_RUN_ID",
            &format!(
                "{}",
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0, |d| d.as_secs())
            ),
        ),
    })
}

fn main() -> std::process::ExitCode {
    let s = match settings() {
        Ok(s) => Arc::new(s),
        Err(e) => {
            eprintln!("{e}");
            return std::process::ExitCode::from(2);
        }
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    let tally = Arc::new(Mutex::new(Tally::default()));
    let start = runtime.block_on(async {
        let next = Arc::new(AtomicU64::new(0));
        let start = Instant::now();
        let tasks: Vec<_> = (0..s.connections)
            .map(|c| tokio::spawn(connection(s.clone(), c, next.clone(), start, tally.clone())))
            .collect();
        for task in tasks {
            let _ = task.await;
        }
        start
    });
    let elapsed = start.elapsed();
    let mut t = tally.lock().unwrap_or_else(|p| p.into_inner());
    t.latencies_us.sort_unstable();
    t.send_lag_us.sort_unstable();
    let l = &t.latencies_us;
    let lag = &t.send_lag_us;
    println!(
        "BENCH_RESULT requests={} duration_us={} rps={:.1} target_rps={:.1} p50_us={} p90_us={} p99_us={} max_us={} \
         send_lag_p50_us={} send_lag_p99_us={} responses={} non200={} misses={} socket_errors={} returned=0",
        l.len(),
        elapsed.as_micros(),
        l.len() as f64 / elapsed.as_secs_f64(),
        s.rate,
        percentile(l, 50.0),
        percentile(l, 90.0),
        percentile(l, 99.0),
        l.last().copied().unwrap_or(0),
        percentile(lag, 50.0),
        percentile(lag, 99.0),
        t.responses,
        t.non200,
        t.misses,
        t.errors
    );
    if let Some(e) = &t.first_error {
        println!("BENCH_FIRST_ERROR {}", e.replace('\n', " "));
    }
    std::process::ExitCode::SUCCESS
}
