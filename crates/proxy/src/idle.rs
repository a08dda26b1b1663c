//! Connections that go quiet are closed: a connection on which nothing is
//! read or written for the idle timeout (an idle keep-alive, a client that
//! opened a socket and sent nothing, a slow-header trickle that stalls) gets
//! an error and is dropped, so no client can hold sockets for ever. The
//! timeout must stay above the upstream timeout: while a run is under way
//! nothing moves on the client's connection until the answer starts.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::extract::connect_info::Connected;
use axum::serve::{IncomingStream, Listener};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::{Instant, Sleep};

/// A TCP listener whose connections close after `timeout` without traffic.
pub struct IdleListener {
    pub inner: TcpListener,
    pub timeout: Duration,
}

impl Listener for IdleListener {
    type Io = IdleIo;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            match self.inner.accept().await {
                Ok((stream, addr)) => return (IdleIo::new(stream, self.timeout), addr),
                // Out of file descriptors and the like: wait, then go on accepting.
                Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
            }
        }
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        self.inner.local_addr()
    }
}

/// The client's address, as the handlers receive it.
#[derive(Clone, Copy, Debug)]
pub struct Peer(pub SocketAddr);

impl Connected<IncomingStream<'_, IdleListener>> for Peer {
    fn connect_info(stream: IncomingStream<'_, IdleListener>) -> Self {
        Peer(*stream.remote_addr())
    }
}

/// A stream whose reads fail once it has been quiet for the timeout.
pub struct IdleIo {
    stream: TcpStream,
    quiet: Pin<Box<Sleep>>,
    timeout: Duration,
}

impl IdleIo {
    fn new(stream: TcpStream, timeout: Duration) -> IdleIo {
        IdleIo { stream, quiet: Box::pin(tokio::time::sleep(timeout)), timeout }
    }

    fn touched(&mut self) {
        let timeout = self.timeout;
        self.quiet.as_mut().reset(Instant::now() + timeout);
    }
}

impl AsyncRead for IdleIo {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        match Pin::new(&mut self.stream).poll_read(cx, buf) {
            Poll::Ready(result) => {
                self.touched();
                Poll::Ready(result)
            }
            Poll::Pending => match self.quiet.as_mut().poll(cx) {
                Poll::Ready(()) => Poll::Ready(Err(io::Error::new(io::ErrorKind::TimedOut, "connection idle for too long"))),
                Poll::Pending => Poll::Pending,
            },
        }
    }
}

impl AsyncWrite for IdleIo {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, data: &[u8]) -> Poll<io::Result<usize>> {
        let written = Pin::new(&mut self.stream).poll_write(cx, data);
        if written.is_ready() {
            self.touched();
        }
        written
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}
