//! An HTTP endpoint standing in for a Lambda function, for the tests of
//! stream triggers.

use std::time::{Duration, Instant};

/// An HTTP endpoint standing in for a Lambda function: records every POST
/// body and answers 500 to the first `failures` of them, 200 after.
pub struct Receiver {
    pub url: String,
    bodies: std::sync::Arc<std::sync::Mutex<Vec<serde_json::Value>>>,
    /// Connections accepted, requests or not.
    accepted: std::sync::Arc<std::sync::atomic::AtomicUsize>,
}

impl Receiver {
    pub fn start(failures: usize) -> Receiver {
        Self::start_with(failures, None)
    }

    /// With `tls`, an HTTPS endpoint serving that configuration.
    pub fn start_with(
        failures: usize,
        tls: Option<std::sync::Arc<tokio_rustls::rustls::ServerConfig>>,
    ) -> Receiver {
        use std::io::{BufRead, BufReader, Read, Write};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!(
            "{}://localhost:{}/2015-03-31/functions/handler/invocations",
            if tls.is_some() { "https" } else { "http" },
            listener.local_addr().unwrap().port()
        );
        let bodies = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let seen = bodies.clone();
        let accepted = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let counted = accepted.clone();
        trait Stream: Read + Write {}
        impl<T: Read + Write> Stream for T {}
        std::thread::spawn(move || {
            let mut answered = 0;
            for connection in listener.incoming() {
                let Ok(connection) = connection else {
                    return;
                };
                counted.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let mut connection: Box<dyn Stream> = match &tls {
                    None => Box::new(connection),
                    Some(config) => Box::new(tokio_rustls::rustls::StreamOwned::new(
                        tokio_rustls::rustls::ServerConnection::new(config.clone()).unwrap(),
                        connection,
                    )),
                };
                let mut reader = BufReader::new(&mut connection);
                let mut length = 0usize;
                let mut request_line = String::new();
                // A client that gives up (a refused certificate) is not a
                // request: wait for the next one.
                if reader.read_line(&mut request_line).is_err() {
                    continue;
                }
                assert!(
                    request_line.starts_with("POST /2015-03-31/functions/handler/invocations "),
                    "{request_line}"
                );
                loop {
                    let mut line = String::new();
                    reader.read_line(&mut line).unwrap();
                    if line.trim().is_empty() {
                        break;
                    }
                    if let Some((name, value)) = line.split_once(':') {
                        if name.eq_ignore_ascii_case("content-length") {
                            length = value.trim().parse().unwrap();
                        }
                    }
                }
                let mut body = vec![0; length];
                reader.read_exact(&mut body).unwrap();
                drop(reader);
                seen.lock()
                    .unwrap()
                    .push(serde_json::from_slice(&body).unwrap());
                answered += 1;
                let status = if answered <= failures {
                    "500 Internal Server Error"
                } else {
                    "200 OK"
                };
                let _ = connection.write_all(
                    format!(
                        "HTTP/1.1 {status}\r\nContent-Length: 4\r\nConnection: close\r\n\r\nnull"
                    )
                    .as_bytes(),
                );
                let _ = connection.flush();
            }
        });
        Receiver {
            url,
            bodies,
            accepted,
        }
    }

    pub fn connections(&self) -> usize {
        self.accepted.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Every event received so far.
    pub fn events(&self) -> Vec<serde_json::Value> {
        self.bodies.lock().unwrap().clone()
    }

    /// Waits (at most `patience`) until the confirmed events (all but the
    /// first `failures`) hold `count` records, and returns those records.
    pub async fn records_after(
        &self,
        failures: usize,
        count: usize,
        patience: Duration,
    ) -> Vec<serde_json::Value> {
        let deadline = Instant::now() + patience;
        loop {
            let records: Vec<_> = self
                .events()
                .iter()
                .skip(failures)
                .flat_map(|e| e["Records"].as_array().unwrap().clone())
                .collect();
            if records.len() >= count || Instant::now() > deadline {
                return records;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}
