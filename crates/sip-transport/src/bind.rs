//! Socket creation with socket2: reuse-address, IPv4 and IPv6, buffer sizes.

use std::io;
use std::net::SocketAddr;

use socket2::{Domain, Protocol, Socket, Type};

/// Options applied to every socket the transport creates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SocketOptions {
    /// `SO_REUSEADDR` on listening sockets, so a restarted phone can bind its port again
    /// right away (pyVoIP issue #229: "Address already in use" after `stop()`). Default true.
    pub reuse_address: bool,
    /// `SO_RCVBUF` in bytes; `None` keeps the OS default.
    pub recv_buffer_size: Option<usize>,
    /// `SO_SNDBUF` in bytes; `None` keeps the OS default.
    pub send_buffer_size: Option<usize>,
    /// `IPV6_V6ONLY` for IPv6 sockets; `None` keeps the OS default (dual-stack on Linux).
    pub only_v6: Option<bool>,
    /// The TCP/TLS listen backlog. Default 1024.
    pub listen_backlog: i32,
}

impl Default for SocketOptions {
    fn default() -> Self {
        SocketOptions {
            reuse_address: true,
            recv_buffer_size: None,
            send_buffer_size: None,
            only_v6: None,
            listen_backlog: 1024,
        }
    }
}

fn new_socket(
    addr: SocketAddr,
    ty: Type,
    proto: Protocol,
    opts: &SocketOptions,
) -> io::Result<Socket> {
    let socket = Socket::new(Domain::for_address(addr), ty, Some(proto))?;
    if opts.reuse_address {
        socket.set_reuse_address(true)?;
    }
    if let (Some(v6only), SocketAddr::V6(_)) = (opts.only_v6, addr) {
        socket.set_only_v6(v6only)?;
    }
    if let Some(n) = opts.recv_buffer_size {
        socket.set_recv_buffer_size(n)?;
    }
    if let Some(n) = opts.send_buffer_size {
        socket.set_send_buffer_size(n)?;
    }
    socket.set_nonblocking(true)?;
    Ok(socket)
}

/// Binds a UDP socket (must be called inside a tokio runtime).
pub(crate) fn bind_udp(
    addr: SocketAddr,
    opts: &SocketOptions,
) -> io::Result<tokio::net::UdpSocket> {
    let socket = new_socket(addr, Type::DGRAM, Protocol::UDP, opts)?;
    socket.bind(&addr.into())?;
    tokio::net::UdpSocket::from_std(socket.into())
}

/// Binds and listens on a TCP socket (must be called inside a tokio runtime).
pub(crate) fn bind_tcp(
    addr: SocketAddr,
    opts: &SocketOptions,
) -> io::Result<tokio::net::TcpListener> {
    let socket = new_socket(addr, Type::STREAM, Protocol::TCP, opts)?;
    socket.bind(&addr.into())?;
    socket.listen(opts.listen_backlog)?;
    tokio::net::TcpListener::from_std(socket.into())
}

/// Opens an outgoing TCP connection from an ephemeral port.
pub(crate) async fn connect_tcp(
    addr: SocketAddr,
    opts: &SocketOptions,
) -> io::Result<tokio::net::TcpStream> {
    let socket = match addr {
        SocketAddr::V4(_) => tokio::net::TcpSocket::new_v4()?,
        SocketAddr::V6(_) => tokio::net::TcpSocket::new_v6()?,
    };
    if let Some(n) = opts.recv_buffer_size {
        socket.set_recv_buffer_size(u32::try_from(n).unwrap_or(u32::MAX))?;
    }
    if let Some(n) = opts.send_buffer_size {
        socket.set_send_buffer_size(u32::try_from(n).unwrap_or(u32::MAX))?;
    }
    let stream = socket.connect(addr).await?;
    // SIP messages are written whole; do not wait for more bytes to coalesce.
    stream.set_nodelay(true)?;
    Ok(stream)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn binds_v4_and_v6_with_options() {
        let opts = SocketOptions {
            recv_buffer_size: Some(256 * 1024),
            send_buffer_size: Some(128 * 1024),
            only_v6: Some(true),
            ..SocketOptions::default()
        };
        let u4 = bind_udp("127.0.0.1:0".parse().unwrap(), &opts).unwrap();
        let u6 = bind_udp("[::1]:0".parse().unwrap(), &opts).unwrap();
        assert!(u4.local_addr().unwrap().is_ipv4());
        assert!(u6.local_addr().unwrap().is_ipv6());
        let sock = socket2::SockRef::from(&u4);
        assert!(sock.reuse_address().unwrap());
        // Linux doubles the requested size for bookkeeping; it must at least be honoured.
        assert!(sock.recv_buffer_size().unwrap() >= 256 * 1024);
        let l = bind_tcp("127.0.0.1:0".parse().unwrap(), &opts).unwrap();
        let addr = l.local_addr().unwrap();
        // Reuse-address lets a second listener socket bind after the first closes.
        drop(l);
        let again = bind_tcp(addr, &opts).unwrap();
        let c = connect_tcp(addr, &opts).await.unwrap();
        assert!(c.nodelay().unwrap());
        drop(again);
    }
}
