//! Messages per second through a SIP transport on loopback: `sip-transport` against
//! `rsipstack`'s transport and a raw tokio socket that does no SIP work, side by side in the
//! same run, over UDP and TCP.
//!
//! A raw tokio client sends a 560-byte INVITE with SDP in windows of 32 and waits until
//! the server side has handed all 32 to the application (an mpsc queue). Each server:
//! - `sip-transport`: `SipTransport` (socket2 socket, stream framing, parse, routing check);
//! - `rsipstack`: `UdpConnection::serve_loop` / `TcpConnection::serve_loop` (framing and
//!   parse with rsip into owned structures);
//! - `raw`: `recv_from` / `read_exact` of the known length into `Bytes`, no parsing: the
//!   floor set by tokio and the kernel.
//!
//! `cargo bench -p voip-benches --bench sip_transport`; results in `docs/benchmarks.md`.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use bytes::Bytes;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use sip_transport::{SipTransport, TransportConfig, TransportMode};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream, UdpSocket};
use tokio::runtime::Runtime;
use tokio::sync::mpsc;

const WINDOW: u64 = 32;

fn message() -> Bytes {
    let sdp = "v=0\r\no=alice 2890844526 2890844526 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\n\
               t=0 0\r\nm=audio 49170 RTP/AVP 0 8 101\r\na=rtpmap:0 PCMU/8000\r\n\
               a=rtpmap:101 telephone-event/8000\r\na=sendrecv\r\n";
    let head = "INVITE sip:bob@127.0.0.1:5060 SIP/2.0\r\n\
        Via: SIP/2.0/UDP 127.0.0.1:5062;branch=z9hG4bK776asdhds;rport\r\n\
        Max-Forwards: 70\r\n\
        From: \"Alice\" <sip:alice@127.0.0.1>;tag=1928301774\r\n\
        To: <sip:bob@127.0.0.1>\r\n\
        Call-ID: a84b4c76e66710@127.0.0.1\r\n\
        CSeq: 314159 INVITE\r\n\
        Contact: <sip:alice@127.0.0.1:5062>\r\n\
        Content-Type: application/sdp\r\n";
    Bytes::from(format!("{head}Content-Length: {}\r\n\r\n{sdp}", sdp.len()))
}

fn runtime() -> Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// A server under test: where to send, and a queue that yields one item per message.
struct Server {
    addr: SocketAddr,
    rx: mpsc::UnboundedReceiver<()>,
}

async fn ours(mode: TransportMode) -> Server {
    let (t, mut incoming) =
        SipTransport::bind(TransportConfig::new(mode, "127.0.0.1:0".parse().unwrap()))
            .await
            .unwrap();
    let addr = t.local_addr();
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        let _keep = t;
        while let Some(m) = incoming.recv().await {
            std::hint::black_box(&m.message);
            if tx.send(()).is_err() {
                break;
            }
        }
    });
    Server { addr, rx }
}

async fn rsipstack_udp() -> Server {
    use rsipstack::transport::TransportEvent;
    use rsipstack::transport::udp::UdpConnection;
    let conn = UdpConnection::create_connection("127.0.0.1:0".parse().unwrap(), None, None)
        .await
        .unwrap();
    let addr = conn.get_addr().get_socketaddr().unwrap();
    let (etx, mut erx) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(async move { conn.serve_loop(etx).await });
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Some(ev) = erx.recv().await {
            if let TransportEvent::Incoming(m, _, _) = ev {
                std::hint::black_box(&m);
                if tx.send(()).is_err() {
                    break;
                }
            }
        }
    });
    Server { addr, rx }
}

async fn rsipstack_tcp() -> Server {
    use rsipstack::transport::stream::StreamConnection;
    use rsipstack::transport::tcp::TcpConnection;
    use rsipstack::transport::{SipAddr, TransportEvent};
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (etx, mut erx) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let local = SipAddr::from(stream.local_addr().unwrap());
            let conn = TcpConnection::from_stream(stream, local, None).unwrap();
            let etx = etx.clone();
            tokio::spawn(async move { conn.serve_loop(etx, Duration::ZERO).await });
        }
    });
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Some(ev) = erx.recv().await {
            if let TransportEvent::Incoming(m, _, _) = ev {
                std::hint::black_box(&m);
                if tx.send(()).is_err() {
                    break;
                }
            }
        }
    });
    Server { addr, rx }
}

async fn raw_udp() -> Server {
    let sock = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let addr = sock.local_addr().unwrap();
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        let mut buf = vec![0u8; 65_536];
        while let Ok((n, _)) = sock.recv_from(&mut buf).await {
            std::hint::black_box(Bytes::copy_from_slice(&buf[..n]));
            if tx.send(()).is_err() {
                break;
            }
        }
    });
    Server { addr, rx }
}

async fn raw_tcp(len: usize) -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Ok((mut s, _)) = listener.accept().await {
            let tx = tx.clone();
            tokio::spawn(async move {
                let mut buf = vec![0u8; len];
                while s.read_exact(&mut buf).await.is_ok() {
                    std::hint::black_box(Bytes::copy_from_slice(&buf));
                    if tx.send(()).is_err() {
                        break;
                    }
                }
            });
        }
    });
    Server { addr, rx }
}

enum Client {
    Udp(UdpSocket, SocketAddr),
    Tcp(TcpStream),
}

impl Client {
    async fn new(udp: bool, to: SocketAddr) -> Client {
        if udp {
            Client::Udp(UdpSocket::bind("127.0.0.1:0").await.unwrap(), to)
        } else {
            let s = TcpStream::connect(to).await.unwrap();
            s.set_nodelay(true).unwrap();
            Client::Tcp(s)
        }
    }

    async fn send(&mut self, m: &[u8]) {
        match self {
            Client::Udp(s, to) => {
                s.send_to(m, *to).await.unwrap();
            }
            Client::Tcp(s) => s.write_all(m).await.unwrap(),
        }
    }
}

/// Sends `iters` messages in windows and waits for each window to be delivered.
async fn pump(client: &mut Client, server: &mut Server, msg: &[u8], iters: u64) -> Duration {
    let start = Instant::now();
    let mut sent = 0;
    while sent < iters {
        let n = WINDOW.min(iters - sent);
        for _ in 0..n {
            client.send(msg).await;
        }
        for _ in 0..n {
            server.rx.recv().await.unwrap();
        }
        sent += n;
    }
    start.elapsed()
}

fn bench(c: &mut Criterion) {
    let rt = runtime();
    let msg = message();
    for (name, udp) in [("udp", true), ("tcp", false)] {
        let mut g = c.benchmark_group(format!("sip_transport_{name}"));
        g.throughput(Throughput::Elements(1));
        let servers: [(&str, Server); 3] = rt.block_on(async {
            if udp {
                [
                    ("sip-transport", ours(TransportMode::Udp).await),
                    ("rsipstack", rsipstack_udp().await),
                    ("raw tokio (no parsing)", raw_udp().await),
                ]
            } else {
                [
                    ("sip-transport", ours(TransportMode::Tcp).await),
                    ("rsipstack", rsipstack_tcp().await),
                    ("raw tokio (no parsing)", raw_tcp(msg.len()).await),
                ]
            }
        });
        for (label, mut server) in servers {
            let mut client = rt.block_on(Client::new(udp, server.addr));
            g.bench_function(label, |b| {
                b.iter_custom(|iters| rt.block_on(pump(&mut client, &mut server, &msg, iters)));
            });
        }
        g.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
