//! Responses written after the requests that are ready, not between them.
//!
//! A response written to a socket wakes the client's thread if it sleeps
//! waiting for one, and on a virtual machine that wake-up (an interrupt to
//! the other CPU) is one of the larger costs of a small request: ~11% of
//! the server's CPU in a `perf` profile of PutItem over 32 connections,
//! almost all of it under `sock_def_readable`. Written the moment each
//! request is done, every response of a loaded server wakes the client
//! again. So a connection takes one more turn of the scheduler before it
//! writes a response: the worker first runs every request already waiting
//! on other connections, then writes their responses back to back, and a
//! client woken by the first finds the others there too. A connection that
//! is alone loses nothing: with no other task queued, its turn comes back
//! at once.
//!
//! Large responses are written at once: the wake-up is a small part of
//! their cost, and held back behind the other connections' requests their
//! bytes leave the CPU's cache before the copy into the socket (Query of
//! 100 items of 1 KB, ~100 KB responses: -26% when they waited too).
//!
//! Measured 2026-12-01 (`bench/lib/ab.py`, 3 alternating rounds, in
//! memory): see docs/design.md, "HTTP".

use std::io::IoSlice;
use std::pin::Pin;
use std::task::{Context, Poll};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// Writes of at least this many bytes do not wait. 32 connections' worth
/// of responses below it fit in one core's L2 cache of the benchmark
/// machine (2 MiB).
const LARGE_WRITE_BYTES: usize = 32 << 10;

/// Wraps a connection's stream: the first write after bytes were read
/// yields once to the scheduler unless it is large; later writes of the
/// same response go straight through.
pub struct YieldBeforeResponse<S> {
    stream: S,
    /// Whether the response being written has had its turn.
    had_turn: bool,
}

impl<S> YieldBeforeResponse<S> {
    pub fn new(stream: S) -> Self {
        Self {
            stream,
            had_turn: true,
        }
    }

    /// True when the caller must return `Pending`: the task is woken at
    /// once, and tokio queues a task that wakes itself behind the others.
    fn yield_first(&mut self, cx: &mut Context<'_>, bytes: usize) -> bool {
        if self.had_turn {
            return false;
        }
        self.had_turn = true;
        if bytes >= LARGE_WRITE_BYTES {
            return false;
        }
        cx.waker().wake_by_ref();
        true
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for YieldBeforeResponse<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let result = Pin::new(&mut this.stream).poll_read(cx, buf);
        if buf.filled().len() > before {
            this.had_turn = false;
        }
        result
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for YieldBeforeResponse<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        let this = self.get_mut();
        if this.yield_first(cx, buf.len()) {
            return Poll::Pending;
        }
        Pin::new(&mut this.stream).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        let this = self.get_mut();
        let bytes = bufs.iter().map(|b| b.len()).sum();
        if this.yield_first(cx, bytes) {
            return Poll::Pending;
        }
        Pin::new(&mut this.stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::future::poll_fn;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// Polls a write once by hand: whether it was Pending, and whether it
    /// woke its task.
    fn poll_write_once<S: AsyncWrite + Unpin>(
        stream: &mut YieldBeforeResponse<S>,
        bytes: &[u8],
    ) -> (Poll<std::io::Result<usize>>, bool) {
        let woken = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let waker = waker_setting(woken.clone());
        let mut cx = Context::from_waker(&waker);
        let poll = Pin::new(stream).poll_write(&mut cx, bytes);
        (poll, woken.load(std::sync::atomic::Ordering::SeqCst))
    }

    fn waker_setting(flag: std::sync::Arc<std::sync::atomic::AtomicBool>) -> std::task::Waker {
        struct Flag(std::sync::Arc<std::sync::atomic::AtomicBool>);
        impl std::task::Wake for Flag {
            fn wake(self: std::sync::Arc<Self>) {
                self.0.store(true, std::sync::atomic::Ordering::SeqCst);
            }
        }
        std::task::Waker::from(std::sync::Arc::new(Flag(flag)))
    }

    #[tokio::test]
    async fn the_first_write_after_a_request_yields_once_and_wakes_its_task() {
        let (client, server) = tokio::io::duplex(1024);
        let mut server = YieldBeforeResponse::new(server);
        let mut client = client;

        // Nothing read yet (a fresh connection): writes go straight through.
        let (poll, woken) = poll_write_once(&mut server, b"a");
        assert!(matches!(poll, Poll::Ready(Ok(1))) && !woken);

        client.write_all(b"request").await.unwrap();
        let mut request = [0u8; 7];
        server.read_exact(&mut request).await.unwrap();

        let (poll, woken) = poll_write_once(&mut server, b"response");
        assert!(
            poll.is_pending(),
            "the first write of a response waits a turn"
        );
        assert!(woken, "and wakes its own task, so that the turn comes back");
        let (poll, woken) = poll_write_once(&mut server, b"response");
        assert!(matches!(poll, Poll::Ready(Ok(8))) && !woken);
        let (poll, _) = poll_write_once(&mut server, b"more");
        assert!(
            matches!(poll, Poll::Ready(Ok(4))),
            "the rest of a response does not wait"
        );

        let mut received = [0u8; 13];
        client.read_exact(&mut received).await.unwrap();
        assert_eq!(&received, b"aresponsemore");
    }

    #[tokio::test]
    async fn a_large_response_is_written_at_once() {
        let (mut client, server) = tokio::io::duplex(LARGE_WRITE_BYTES * 2);
        let mut server = YieldBeforeResponse::new(server);
        client.write_all(b"request").await.unwrap();
        let mut request = [0u8; 7];
        server.read_exact(&mut request).await.unwrap();
        let large = vec![7u8; LARGE_WRITE_BYTES];
        let (poll, woken) = poll_write_once(&mut server, &large);
        assert!(matches!(poll, Poll::Ready(Ok(n)) if n == LARGE_WRITE_BYTES) && !woken);
    }

    #[tokio::test]
    async fn requests_and_responses_pass_through_unchanged() {
        let (mut client, server) = tokio::io::duplex(64);
        let mut server = YieldBeforeResponse::new(server);
        let echo = tokio::spawn(async move {
            let mut buf = [0u8; 256];
            loop {
                let n = server.read(&mut buf).await.unwrap();
                if n == 0 {
                    break;
                }
                server.write_all(&buf[..n]).await.unwrap();
                poll_fn(|cx| Pin::new(&mut server).poll_flush(cx))
                    .await
                    .unwrap();
            }
        });
        // A yield that forgot to wake its task would stall the echo for
        // good: the timeout turns that into a failure instead of a hang.
        let exchange = async {
            for round in 0..50u32 {
                let message = format!("message {round} ").repeat(round as usize % 7 + 1);
                client.write_all(message.as_bytes()).await.unwrap();
                let mut back = vec![0u8; message.len()];
                client.read_exact(&mut back).await.unwrap();
                assert_eq!(back, message.as_bytes());
            }
            drop(client);
            echo.await.unwrap();
        };
        tokio::time::timeout(std::time::Duration::from_secs(10), exchange)
            .await
            .expect("the echo stalled");
    }
}
