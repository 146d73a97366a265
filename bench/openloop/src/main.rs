//! Fixed-rate (open-loop) load for `bench/run.sh` (its "Latency at 10x DynamoDB Local" table).
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
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::mpsc;

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

/// Hands each request, at the moment it is due, to the connection free the
/// longest, or to the first one to become free (its wait then counts in its
/// latency). Only this task waits for due times: the runtime's timer ticks
/// in milliseconds, so it sleeps until a millisecond before and then yields
/// until the moment comes. (Each connection used to spin that way itself:
/// 64 tasks yielding in turn on the client's one core. GetItem at 30k/s,
/// 4 alternating runs each: p99 2.3-3.1 ms against 2.8-3.5 ms, the
/// client's own send lag p99 0.7-1.2 ms against 1.0-1.8 ms.)
async fn pace(
    s: Arc<Settings>,
    start: Instant,
    connections: Vec<mpsc::UnboundedSender<Instant>>,
    mut free: mpsc::UnboundedReceiver<usize>,
) {
    let end = start + s.duration;
    let mut idle = VecDeque::with_capacity(connections.len());
    let mut i = 0u64;
    loop {
        let due = start + Duration::from_secs_f64(i as f64 / s.rate);
        if due >= end {
            break;
        }
        while let Ok(c) = free.try_recv() {
            idle.push_back(c);
        }
        let now = Instant::now();
        if due > now {
            if due - now > Duration::from_millis(2) {
                tokio::time::sleep_until((due - Duration::from_millis(1)).into()).await;
            } else {
                tokio::task::yield_now().await;
            }
            continue;
        }
        match idle.pop_front() {
            Some(c) => {
                // A connection that failed has dropped its receiver; the
                // request goes to the next one.
                if connections[c].send(due).is_ok() {
                    i += 1;
                }
            }
            None => match free.recv().await {
                Some(c) => idle.push_back(c),
                None => break, // every connection failed
            },
        }
    }
}

/// One connection: sends each request the pacer hands it and records the
/// time from the moment it was due to its response.
async fn connection(
    s: Arc<Settings>,
    index: usize,
    mut stream: TcpStream,
    mut due_requests: mpsc::UnboundedReceiver<Instant>,
    free: mpsc::UnboundedSender<usize>,
    tally: Arc<Mutex<Tally>>,
) {
    let mut local = Tally::default();
    let mut rng = StdRng::from_rng(&mut rand::rng());
    let mut buffer = Vec::with_capacity(65536);
    let mut seq = 0u64;
    while free.send(index).is_ok() {
        let Some(due) = due_requests.recv().await else {
            break;
        };
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
        // Connected before the clock starts: the first requests are due at once.
        let mut streams = Vec::with_capacity(s.connections);
        for _ in 0..s.connections {
            let stream = TcpStream::connect(&s.address)
                .await
                .map_err(|e| format!("connect to {}: {e}", s.address))?;
            let _ = stream.set_nodelay(true);
            streams.push(stream);
        }
        let (free, free_connections) = mpsc::unbounded_channel();
        let mut senders = Vec::with_capacity(s.connections);
        let mut tasks = Vec::with_capacity(s.connections);
        for (c, stream) in streams.into_iter().enumerate() {
            let (sender, due_requests) = mpsc::unbounded_channel();
            senders.push(sender);
            let task = connection(
                s.clone(),
                c,
                stream,
                due_requests,
                free.clone(),
                tally.clone(),
            );
            tasks.push(tokio::spawn(task));
        }
        drop(free);
        let start = Instant::now();
        // Dropping the senders when the pacer is done ends the connections.
        pace(s.clone(), start, senders, free_connections).await;
        for task in tasks {
            let _ = task.await;
        }
        Ok::<_, String>(start)
    });
    let start = match start {
        Ok(start) => start,
        Err(e) => {
            eprintln!("{e}");
            return std::process::ExitCode::FAILURE;
        }
    };
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
